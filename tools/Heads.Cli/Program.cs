using Heads.Cli;

return await HeadsCommandLine.Create().Parse(args).InvokeAsync();
