// Host and daemon resource figures for the dashboard: CPU% from /proc/stat and process.cpuUsage() deltas, memory, load.
import { readFileSync } from 'node:fs';
import { cpus, freemem, totalmem, loadavg } from 'node:os';

/** One sample of host and daemon resources. */
export interface HostSample {
  /** cpuPct: all cores busy = 100; memory in bytes; load1: 1-minute load average. */
  host: { cpuPct: number; memUsed: number; memTotal: number; load1: number };
  /** cpuPct: one core fully used = 100 (can exceed 100 with threads); rss and heapUsed in bytes. */
  process: { cpuPct: number; rss: number; heapUsed: number };
  /** Seconds the daemon process has run. */
  uptimeSec: number;
}

/** A sampler that remembers the previous sample to compute CPU% over the interval between two calls. */
export interface HostStats {
  sample(): HostSample;
}

/** Busy and total jiffies from the first line of /proc/stat, or null off Linux. */
function readProcStat(): { busy: number; total: number } | null {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0];
    const f = line.trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal (guest is already counted in user)
    const [user, nice, system, idle, iowait = 0, irq = 0, softirq = 0, steal = 0] = f;
    const idleAll = idle + iowait;
    const total = user + nice + system + idleAll + irq + softirq + steal;
    return Number.isFinite(total) ? { busy: total - idleAll, total } : null;
  } catch {
    return null;
  }
}

/** MemAvailable-based used memory (what `free` calls used), falling back to os.freemem(). */
function readMem(): { used: number; total: number } {
  try {
    const txt = readFileSync('/proc/meminfo', 'utf8');
    const kb = (k: string) => {
      const m = new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(txt);
      return m ? Number(m[1]) * 1024 : NaN;
    };
    const total = kb('MemTotal');
    const avail = kb('MemAvailable');
    if (Number.isFinite(total) && Number.isFinite(avail)) return { used: total - avail, total };
  } catch {
    /* not Linux */
  }
  return { used: totalmem() - freemem(), total: totalmem() };
}

const round1 = (v: number) => Math.round(v * 10) / 10;
const clampPct = (v: number, max: number) => round1(Math.min(max, Math.max(0, v)));

/**
 * Makes a sampler. The first sample's CPU% covers the time since creation (or since boot on the host side).
 * @example const hs = createHostStats(); setInterval(() => console.log(hs.sample().host.cpuPct), 1000);
 */
export function createHostStats(): HostStats {
  let prevStat = readProcStat();
  let prevCpu = process.cpuUsage();
  let prevAt = process.hrtime.bigint();
  const nCores = Math.max(1, cpus().length);
  return {
    sample() {
      const stat = readProcStat();
      let hostPct = 0;
      if (stat && prevStat && stat.total > prevStat.total) {
        hostPct = (100 * (stat.busy - prevStat.busy)) / (stat.total - prevStat.total);
      } else if (!stat) {
        hostPct = (100 * loadavg()[0]) / nCores;
      }
      prevStat = stat ?? prevStat;

      const now = process.hrtime.bigint();
      const cpu = process.cpuUsage();
      const wallUs = Number(now - prevAt) / 1000;
      const usedUs = cpu.user - prevCpu.user + (cpu.system - prevCpu.system);
      const procPct = wallUs > 0 ? (100 * usedUs) / wallUs : 0;
      prevCpu = cpu;
      prevAt = now;

      const mem = readMem();
      const mu = process.memoryUsage();
      return {
        host: { cpuPct: clampPct(hostPct, 100), memUsed: mem.used, memTotal: mem.total, load1: Math.round(loadavg()[0] * 100) / 100 },
        process: { cpuPct: clampPct(procPct, 100 * nCores), rss: mu.rss, heapUsed: mu.heapUsed },
        uptimeSec: Math.floor(process.uptime()),
      };
    },
  };
}
