#!/usr/bin/env node
/**
 * The `mlobs` command line. Each top-level command lives in its own module and is
 * registered in COMMANDS; `mlobs help` lists them.
 */
export interface CliIo {
  readonly stdin: NodeJS.ReadableStream;
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
}

export interface CliCommand {
  /** One-line summary for `mlobs help`. */
  readonly summary: string;
  /** Runs the command with the arguments after its name; resolves to the exit code. */
  run(args: readonly string[], io: CliIo): Promise<number>;
}

const COMMANDS: Readonly<Record<string, () => CliCommand>> = {
  logs: () => (require('./logs') as typeof import('./logs')).LOGS_COMMAND,
  budget: () => (require('./budget') as typeof import('./budget')).BUDGET_COMMAND,
  preview: () => (require('./preview') as typeof import('./preview')).PREVIEW_COMMAND,
};

function usage(): string {
  const lines = ['usage: mlobs <command> [args]', '', 'commands:'];
  for (const [name, load] of Object.entries(COMMANDS)) {
    lines.push(`  ${name.padEnd(12)} ${load().summary}`);
  }
  lines.push(`  ${'help'.padEnd(12)} show this help`);
  return lines.join('\n') + '\n';
}

export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    io.stdout.write(usage());
    return name === undefined ? 2 : 0;
  }
  const load = COMMANDS[name];
  if (!load) {
    io.stderr.write(`mlobs: unknown command "${name}"\n` + usage());
    return 2;
  }
  return load().run(rest, io);
}

if (require.main === module) {
  main(process.argv.slice(2), { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr }).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`mlobs: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
