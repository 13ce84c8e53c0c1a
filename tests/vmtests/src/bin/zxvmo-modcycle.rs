//! `zxvmo-modcycle`: loads and unloads a module over and over, in one
//! process.
//!
//! ```text
//! zxvmo-modcycle KO NAME N
//! ```
//!
//! Each of the `N` cycles loads `KO` (`finit_module`, no parameters) and
//! unloads the module `NAME` (`delete_module`, `O_NONBLOCK`), as
//! `insmod` and `rmmod` do. The suite's load/unload cycles run through it because under TCG
//! each exec of kmod costs about half a second, ten times the cycle
//! itself. Exits 0 when every cycle succeeded; otherwise prints the
//! cycle, the call and its error, and exits 1.

use std::ffi::CString;
use std::os::fd::AsRawFd;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let [_, ko, name, n] = &args[..] else {
        eprintln!("usage: zxvmo-modcycle KO NAME N");
        std::process::exit(2);
    };
    let n: u32 = n.parse().unwrap_or_else(|_| {
        eprintln!("zxvmo-modcycle: N must be a number, not '{n}'");
        std::process::exit(2);
    });
    let file = std::fs::File::open(ko).unwrap_or_else(|e| {
        eprintln!("zxvmo-modcycle: {ko}: {e}");
        std::process::exit(2);
    });
    let cname = CString::new(name.as_str()).expect("a module name has no NUL");
    for i in 1..=n {
        // SAFETY: `finit_module(fd, params, flags)` reads the module from
        // the open file and the empty parameter string; both outlive the
        // call.
        let r = unsafe { libc::syscall(libc::SYS_finit_module, file.as_raw_fd(), c"".as_ptr(), 0) };
        if r != 0 {
            fail(i, "finit_module", ko);
        }
        // SAFETY: `delete_module(name, flags)` reads the NUL-terminated
        // name, which outlives the call.
        let r = unsafe { libc::syscall(libc::SYS_delete_module, cname.as_ptr(), libc::O_NONBLOCK) };
        if r != 0 {
            fail(i, "delete_module", name);
        }
    }
}

/// Reports the failed call of cycle `i` with the error it set, and exits.
fn fail(i: u32, call: &str, what: &str) -> ! {
    let e = std::io::Error::last_os_error();
    eprintln!("zxvmo-modcycle: cycle {i}: {call}({what}): {e}");
    std::process::exit(1);
}
