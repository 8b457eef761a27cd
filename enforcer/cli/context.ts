// What a `warden` command gets from the command line: its flags and positional arguments, and where to print.

/** What a command gets: its flags and positional arguments, and where to print. */
export interface CommandContext {
  flags: Record<string, string | boolean | undefined>;
  args: string[];
  out: (line: string) => void;
  err: (line: string) => void;
}
