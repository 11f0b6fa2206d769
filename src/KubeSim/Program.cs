using IstioPodNetwork.KubeSim.Hosting;

return await KubeSimCommand.RunAsync(args, Console.Out, Console.Error);
