//! `zxvmo-vm-init`: PID 1 of zxvmo's test VM, in place of virtme-ng-init.
//!
//! `scripts/vm-run.sh` takes virtme-ng's own QEMU command (`vng
//! --dry-run`) and puts this program on its kernel command line as `init=`.
//! virtme-ng-init always runs `systemd-tmpfiles` and a full udev coldplug;
//! under TCG on the debug kernel those took 55 of the 85 seconds before a
//! command could start, and nothing the tests check needs them: devtmpfs
//! makes `/dev/zxvmo` with the module's mode, and the one test of a udev
//! rule (`tests/vm/installed.sh`) starts udevd itself, as an installed
//! system has it. It is a program and not a script because every `exec`
//! costs about a second there (dynamic loading over 9p on a KASAN kernel):
//! a shell that mounts what is below took 40 seconds.
//!
//! What virtme-ng-init sets up and the tests use is set up the same way,
//! from the same kernel parameters: the host's root (read-only) with
//! writable overlays (`virtme_rw_overlayN`), the read-write shares
//! (`virtme_initmountN`, from `--rwdir`), the kernel's modules
//! (`virtme_link_mods`), the working directory (`virtme_chdir`) and the
//! command (``virtme.exec=`BASE64` ``). The command's output goes to
//! virtme-ng's `virtme.stdout` and `virtme.stderr` ports and its exit code
//! to `virtme.ret`; then the VM powers off. No network, no udev, no
//! tmpfiles, no user switching.

use std::collections::HashMap;
use std::ffi::CString;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Stdio};

fn log(msg: &str) {
    if let Ok(mut k) = OpenOptions::new().write(true).open("/dev/kmsg") {
        // One write, one record.
        let _ = k.write_all(format!("zxvmo-vm-init: {msg}\n").as_bytes());
    }
}

fn cstr(s: &str) -> CString {
    CString::new(s).expect("no NUL in a mount argument")
}

/// mount(2); logs a failure (the command then runs without what it
/// lacks, and its tests say what).
fn mount(source: &str, target: &str, fstype: &str, flags: libc::c_ulong, data: &str) {
    let _ = fs::create_dir_all(target);
    let (s, t, f, d) = (cstr(source), cstr(target), cstr(fstype), cstr(data));
    // SAFETY: Every pointer is to a NUL-terminated string that outlives the
    // call; the kernel copies them.
    let rc = unsafe { libc::mount(s.as_ptr(), t.as_ptr(), f.as_ptr(), flags, d.as_ptr().cast()) };
    if rc != 0 {
        let err = io::Error::last_os_error();
        if err.raw_os_error() != Some(libc::EBUSY) {
            log(&format!("mount {fstype} on {target}: {err}"));
        }
    }
}

/// The command that virtme-ng put on the kernel command line.
fn user_script(cmdline: &str) -> Option<String> {
    let start = cmdline.find("virtme.exec=`")? + "virtme.exec=`".len();
    let len = cmdline[start..].find('`')?;
    base64_decode(&cmdline[start..start + len]).and_then(|b| String::from_utf8(b).ok())
}

fn base64_decode(s: &str) -> Option<Vec<u8>> {
    let value = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        } as u32)
    };
    let digits = s.trim_end_matches('=').as_bytes();
    let mut out = Vec::with_capacity(digits.len() * 3 / 4);
    for chunk in digits.chunks(4) {
        let mut n = 0u32;
        for (i, &c) in chunk.iter().enumerate() {
            n |= value(c)? << (18 - 6 * i);
        }
        out.extend_from_slice(&n.to_be_bytes()[1..chunk.len()]);
    }
    Some(out)
}

/// virtme-ng's serial ports, by name (`virtme.stdout` → `/dev/vport1p2`).
fn ports() -> HashMap<String, String> {
    let mut ports = HashMap::new();
    for entry in fs::read_dir("/sys/class/virtio-ports")
        .into_iter()
        .flatten()
        .flatten()
    {
        if let Ok(name) = fs::read_to_string(entry.path().join("name")) {
            let dev = format!("/dev/{}", entry.file_name().to_string_lossy());
            ports.insert(name.trim().to_string(), dev);
        }
    }
    ports
}

fn main() {
    let env: HashMap<String, String> = std::env::vars().collect();
    let nodev = libc::MS_NOSUID | libc::MS_NOEXEC | libc::MS_NODEV;
    mount("proc", "/proc", "proc", nodev, "");
    mount("sys", "/sys", "sysfs", nodev, "");
    mount(
        "devtmpfs",
        "/dev",
        "devtmpfs",
        libc::MS_NOSUID | libc::MS_NOEXEC,
        "",
    );
    log("starting");
    mount(
        "run",
        "/run",
        "tmpfs",
        libc::MS_NOSUID | libc::MS_NODEV,
        "mode=0755",
    );
    let mut overlays: Vec<(&String, &String)> = env
        .iter()
        .filter(|(k, _)| k.starts_with("virtme_rw_overlay"))
        .collect();
    overlays.sort();
    for (tag, dir) in overlays {
        let base = format!("/run/overlay/{tag}");
        for sub in ["upper", "work"] {
            let _ = fs::create_dir_all(format!("{base}/{sub}"));
        }
        let opts = format!("xino=off,lowerdir={dir},upperdir={base}/upper,workdir={base}/work");
        mount(tag, dir, "overlay", 0, &opts);
    }
    mount(
        "devpts",
        "/dev/pts",
        "devpts",
        libc::MS_NOSUID | libc::MS_NOEXEC,
        "",
    );
    mount(
        "shm",
        "/dev/shm",
        "tmpfs",
        libc::MS_NOSUID | libc::MS_NODEV,
        "",
    );
    mount("debugfs", "/sys/kernel/debug", "debugfs", 0, "");
    mount("securityfs", "/sys/kernel/security", "securityfs", 0, "");
    mount("cgroup2", "/sys/fs/cgroup", "cgroup2", 0, "");
    // The kernel's modules where modprobe looks: a link to the kernel
    // tree's, as virtme-ng makes it.
    if let Some(mods) = env.get("virtme_link_mods") {
        mount("modules", "/lib/modules", "tmpfs", 0, "");
        let release = fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
        let link = format!("/lib/modules/{}", release.trim());
        if let Err(e) = std::os::unix::fs::symlink(mods, &link) {
            log(&format!("linking {link}: {e}"));
        }
    }
    for (tag, path) in &env {
        let is_share = tag
            .strip_prefix("virtme_initmount")
            .is_some_and(|n| n.bytes().all(|b| b.is_ascii_digit()));
        if is_share {
            let opts = "version=9p2000.L,trans=virtio,access=any";
            mount(&tag.replace('_', "."), &format!("/{path}"), "9p", 0, opts);
        }
    }
    let hostname = env
        .get("virtme_hostname")
        .map_or("virtme-ng", String::as_str);
    let _ = fs::write("/proc/sys/kernel/hostname", hostname);

    let cmdline = fs::read_to_string("/proc/cmdline").unwrap_or_default();
    let ports = ports();
    let rc = match user_script(&cmdline) {
        Some(script) => run(&script, &env, &ports),
        None => {
            log("no virtme.exec= command on the kernel command line");
            255
        }
    };
    if let Some(ret) = ports.get("virtme.ret") {
        if let Ok(mut f) = OpenOptions::new().write(true).open(ret) {
            let _ = write!(f, "{rc}");
        }
    }
    // SAFETY: sync(2) and reboot(2) take no pointers; powering off is what
    // PID 1 does when its command is done.
    unsafe {
        libc::sync();
        libc::reboot(libc::RB_POWER_OFF);
    }
}

/// Runs the command in its own session, its output on virtme-ng's ports,
/// and reaps every orphan until it is done; returns its exit code.
fn run(script: &str, env: &HashMap<String, String>, ports: &HashMap<String, String>) -> i32 {
    let open = |name: &str| -> Stdio {
        match ports
            .get(name)
            .map(|p| OpenOptions::new().write(true).open(p))
        {
            Some(Ok(f)) => f.into(),
            _ => {
                log(&format!("no {name} port: that output goes to the console"));
                File::options()
                    .write(true)
                    .open("/dev/console")
                    .map_or(Stdio::null(), Stdio::from)
            }
        }
    };
    let mut cmd = Command::new("/bin/bash");
    cmd.arg("-c")
        .arg(script)
        .stdin(Stdio::null())
        .stdout(open("virtme.stdout"))
        .stderr(open("virtme.stderr"))
        .env(
            "PATH",
            "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        )
        .env("HOME", "/root");
    for key in env.keys().filter(|k| k.starts_with("virtme_")) {
        cmd.env_remove(key);
    }
    if let Some(dir) = env.get("virtme_chdir") {
        cmd.current_dir(Path::new("/").join(dir));
    }
    // SAFETY: setsid(2) is async-signal-safe, as code between fork and
    // exec must be.
    unsafe {
        cmd.pre_exec(|| {
            libc::setsid();
            Ok(())
        });
    }
    log("starting the command");
    let child = match cmd.spawn() {
        Ok(c) => c.id() as libc::pid_t,
        Err(e) => {
            log(&format!("starting /bin/bash: {e}"));
            return 255;
        }
    };
    loop {
        let mut status = 0;
        // SAFETY: `status` is a valid place for the kernel to write to.
        let pid = unsafe { libc::waitpid(-1, &mut status, 0) };
        if pid == child {
            return if libc::WIFEXITED(status) {
                libc::WEXITSTATUS(status)
            } else {
                128 + libc::WTERMSIG(status)
            };
        }
        if pid < 0 && io::Error::last_os_error().raw_os_error() != Some(libc::EINTR) {
            return 255;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_virtme_ngs_command() {
        let line = "quiet virtme.exec=`L3dvcmsvbWFpbi9zY3JpcHRzL3ZtLWd1ZXN0LnNoIC90bXA=` ro";
        assert_eq!(
            user_script(line).as_deref(),
            Some("/work/main/scripts/vm-guest.sh /tmp")
        );
        assert_eq!(base64_decode("YQ==").unwrap(), b"a");
        assert_eq!(base64_decode("YWI=").unwrap(), b"ab");
        assert_eq!(base64_decode("YWJj").unwrap(), b"abc");
        assert!(user_script("quiet ro").is_none());
    }
}
