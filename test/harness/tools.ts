// The one way a test says which system commands it needs: a test whose command is missing skips BY NAME, naming the
// Debian/Ubuntu package and the command that installs it (from scripts/system-packages.json, the one package list),
// and never fails for the environment. `npm test` as root with apt-get installs them all first (scripts/setup.mjs).
import { existsSync, readFileSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot: string = process.env.WARDEN_ROOT ?? join(dirname(fileURLToPath(import.meta.url)), '../../..');

interface SystemPackage {
  package: string;
  group: string;
  commands?: string[];
  why: string;
}

let packages: SystemPackage[] | undefined;

/** The list in scripts/system-packages.json. */
function systemPackages(): SystemPackage[] {
  packages ??= (JSON.parse(readFileSync(join(repoRoot, 'scripts/system-packages.json'), 'utf8')) as { packages: SystemPackage[] }).packages;
  return packages;
}

/** True when `cmd` is on the PATH (where the tests and the firewall adapters run it from). */
export function hasCommand(cmd: string): boolean {
  return (process.env.PATH ?? '').split(delimiter).some((d) => d !== '' && existsSync(join(d, cmd)));
}

/** The Debian/Ubuntu package that provides `cmd` (throws for a command the list does not know: add it there). */
export function packageOf(cmd: string): string {
  const p = systemPackages().find((s) => s.commands?.includes(cmd));
  if (!p) throw new Error(`scripts/system-packages.json has no package providing \`${cmd}\`: add it there`);
  return p.package;
}

/**
 * Why a test that runs `cmds` must skip here (each missing command with its package and the install command), or
 * false when all are present: for `test(name, { skip: needCommands('ipset', 'curl') })`.
 * @example const skip = netnsSkipReason() || needCommands('nft', 'curl');
 */
export function needCommands(...cmds: string[]): string | false {
  const absent = cmds.filter((c) => !hasCommand(c));
  if (absent.length === 0) return false;
  const pkgs = [...new Set(absent.map(packageOf))];
  return `needs ${absent.map((c) => `\`${c}\``).join(', ')}, not installed here: apt-get install ${pkgs.join(' ')} ` +
    '(`npm test` as root installs it)';
}

/** Why a test that needs root must skip here, or false (`what`: what root is needed for). */
export function needRoot(what: string): string | false {
  return process.getuid?.() === 0 ? false : `needs root: ${what} (\`npm test\` in CI runs as root)`;
}
