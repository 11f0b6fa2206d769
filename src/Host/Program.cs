using IstioPodNetwork.Host.Cli;

TierUpDelay.RestartWithIt(args);
return await IpncCli.RunAsync(args, Console.Out, Console.Error);
