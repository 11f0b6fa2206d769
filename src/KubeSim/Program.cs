await Console.Error.WriteLineAsync("kubesim: not yet available");
return 1;
