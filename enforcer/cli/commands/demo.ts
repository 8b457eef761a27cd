// `warden demo` runs the one-minute demo (nginx + site + enforcing daemon + dashboard); `warden demo attack` floods it.
import type { CommandContext } from '../context.js';

function intFlag(ctx: CommandContext, name: string): number | undefined | string {
  const v = ctx.flags[name];
  if (v === undefined) return undefined;
  return /^\d+$/.test(String(v)) ? Number(v) : `\`--${name}\` must be a whole number, got \`${String(v)}\``;
}

/** Runs `warden demo [--port N | --fleet N]` or `warden demo attack [--seconds N] [--rate N] [--ip ADDR]`. */
export async function runDemoCommand(ctx: CommandContext): Promise<number> {
  const [sub, ...extra] = ctx.args;
  if (extra.length || (sub !== undefined && sub !== 'attack')) {
    ctx.err(`warden demo: unknown argument \`${[sub, ...extra].join(' ')}\` (usage: warden demo [--port N] | warden demo attack)`);
    return 2;
  }
  const flags = sub === 'attack' ? ['seconds', 'rate'] : ['port', 'fleet'];
  const wrong = Object.keys(ctx.flags).find((k) => ctx.flags[k] !== undefined && !flags.includes(k) && !(sub === 'attack' && k === 'ip'));
  if (wrong) {
    ctx.err(`warden demo${sub ? ` ${sub}` : ''}: \`--${wrong}\` does not apply here`);
    return 2;
  }
  const nums: Record<string, number | undefined> = {};
  for (const f of flags) {
    const v = intFlag(ctx, f);
    if (typeof v === 'string') {
      ctx.err(`warden demo: ${v}`);
      return 2;
    }
    nums[f] = v;
  }
  if (sub === 'attack') {
    const { runAttack } = await import('../../demo/attack.js');
    return await runAttack({ seconds: nums.seconds, rate: nums.rate, ip: ctx.flags.ip as string | undefined, out: ctx.out, err: ctx.err });
  }
  if (nums.port !== undefined && (nums.port < 1 || nums.port > 65535)) {
    ctx.err(`warden demo: \`--port\` must be from 1 to 65535, got \`${nums.port}\``);
    return 2;
  }
  if (nums.fleet !== undefined) {
    if (nums.fleet < 2 || nums.fleet > 5 || nums.port !== undefined) {
      ctx.err(nums.port !== undefined ? 'warden demo: `--port` does not apply with `--fleet` (every node gets a free port)'
        : `warden demo: \`--fleet\` must be from 2 to 5 nodes, got \`${nums.fleet}\``);
      return 2;
    }
    const { runFleetDemo } = await import('../../demo/run-fleet-demo.js');
    return await runFleetDemo({ nodes: nums.fleet, out: ctx.out, err: ctx.err });
  }
  const { runDemo } = await import('../../demo/run-demo.js');
  return await runDemo({ port: nums.port, out: ctx.out, err: ctx.err });
}
