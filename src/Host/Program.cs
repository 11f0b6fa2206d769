using IstioPodNetwork.Host.Cli;

return await IpncCli.RunAsync(args, Console.Out, Console.Error);
