using LlcLab.Cli;

// `llclab <verb>`: a thin shell over the library. Every verb lives in Commands/ as a class implementing IVerb; they are
// discovered by CliApp so adding a verb never touches this file.
return CliApp.Run(args);
