//! What the kernel tells about a process under load (the server's, the load generator's own).

use std::time::Instant;

/// /proc reports process times in USER_HZ ticks, which the kernel ABI fixes at 100 per second.
const TICKS_PER_SECOND: f64 = 100.0;

/// User plus system time of the process so far, in ticks.
fn cpu_ticks(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name may hold spaces and parentheses; the fields after its closing one are plain.
    let after_name = stat.get(stat.rfind(')')? + 2..)?;
    let mut fields = after_name.split(' ');
    // utime and stime are fields 14 and 15; field 3 (state) is the first after the name.
    let utime: u64 = fields.nth(11)?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some(utime + stime)
}

/// A process's CPU time at one instant, to tell its CPU share from then on.
pub struct CpuMark {
    pid: u32,
    ticks: u64,
    at: Instant,
}

impl CpuMark {
    pub fn now(pid: u32) -> Option<Self> {
        Some(Self {
            pid,
            ticks: cpu_ticks(pid)?,
            at: Instant::now(),
        })
    }

    /// CPU time used since the mark per second elapsed (1.0 = one core busy).
    pub fn share(&self) -> Option<f64> {
        let used = cpu_ticks(self.pid)?.checked_sub(self.ticks)? as f64 / TICKS_PER_SECOND;
        Some(used / self.at.elapsed().as_secs_f64())
    }
}

/// Peak resident set size (VmHWM).
pub fn resident_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}
