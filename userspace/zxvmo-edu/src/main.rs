//! `zxvmo-edu`: a userspace driver for QEMU's `edu` PCI device.
//!
//! It finds the device through sysfs, creates an exclusive MMIO resource
//! for its BAR0 from the root resource, maps the registers through a
//! physical VMO and drives the device: the ID register, the liveness check
//! and the factorial unit. With `--phys ADDR` it asks for a resource at
//! `ADDR` instead, which zxvmo refuses with a Zircon status unless the
//! address is MMIO that nothing else holds (try System RAM).

use std::process::ExitCode;
use std::time::{Duration, Instant};

use zxvmo::pci::PciDevice;
use zxvmo::{Mapping, Refusal, Resource, ResourceFlags, ResourceKind, VmarFlags, Vmo};

const EDU_VENDOR: u16 = 0x1234;
const EDU_DEVICE: u16 = 0x11e8;
const REG_ID: usize = 0x00;
const REG_LIVENESS: usize = 0x04;
const REG_FACTORIAL: usize = 0x08;
const REG_STATUS: usize = 0x20;
const STATUS_COMPUTING: u32 = 0x01;
const EDU_ID: u32 = 0x0100_00ed;
const PAGE: u64 = 4096;

/// What went wrong, for the one line the program prints before it exits.
enum Failure {
    /// A zxvmo call failed: what the program was doing, the status, and
    /// the kernel's reason.
    Zx(&'static str, Refusal),
    Other(String),
}

impl From<String> for Failure {
    fn from(s: String) -> Self {
        Failure::Other(s)
    }
}

fn zx(what: &'static str) -> impl Fn(zxvmo::Status) -> Failure {
    move |s| Failure::Zx(what, Refusal::of(s))
}

fn factorial(regs: &Mapping, n: u32) -> Result<u32, Failure> {
    regs.write32(REG_FACTORIAL, n)
        .map_err(zx("write the factorial register"))?;
    let start = Instant::now();
    while regs
        .read32(REG_STATUS)
        .map_err(zx("read the status register"))?
        & STATUS_COMPUTING
        != 0
    {
        if start.elapsed() > Duration::from_secs(5) {
            return Err(format!("edu did not finish {n}! within 5 s").into());
        }
        std::thread::yield_now();
    }
    regs.read32(REG_FACTORIAL)
        .map_err(zx("read the factorial register"))
}

fn drive(base: u64, size: u64, label: &str) -> Result<(), Failure> {
    let root = Resource::root().map_err(zx("get the root resource"))?;
    println!("zxvmo-edu: root resource acquired (CAP_SYS_RAWIO, kernel not locked down)");
    let bar = Resource::create(
        &root,
        ResourceKind::Mmio,
        ResourceFlags::EXCLUSIVE,
        base,
        size,
        label,
    )
    .map_err(zx("create a resource for the range"))?;
    drop(root);
    println!(
        "zxvmo-edu: exclusive MMIO resource {label} = [{base:#x}, {:#x}), claimed in /proc/iomem:",
        base + size
    );
    if let Ok(iomem) = std::fs::read_to_string("/proc/iomem") {
        for line in iomem
            .lines()
            .filter(|l| l.contains(&format!("zxvmo:{label}")))
        {
            println!("    {}", line.trim());
        }
    }
    let vmo =
        Vmo::create_physical(&bar, base, PAGE as usize).map_err(zx("create the physical VMO"))?;
    let regs = vmo
        .map(
            0,
            PAGE as usize,
            VmarFlags::PERM_READ | VmarFlags::PERM_WRITE,
        )
        .map_err(zx("map the registers"))?;
    println!(
        "zxvmo-edu: registers mapped at {:p} (uncached)",
        regs.as_ptr()
    );

    let id = regs.read32(REG_ID).map_err(zx("read the ID register"))?;
    if id != EDU_ID {
        return Err(format!(
            "ID register reads {id:#010x}, expected {EDU_ID:#010x}: not an edu device"
        )
        .into());
    }
    println!(
        "zxvmo-edu: ID register = {id:#010x} (edu, version {}.{})",
        id >> 24,
        (id >> 16) & 0xff
    );

    for v in [0x1234_5678u32, 0, 0xdead_beef, 0xffff_ffff] {
        regs.write32(REG_LIVENESS, v)
            .map_err(zx("write the liveness register"))?;
        let back = regs
            .read32(REG_LIVENESS)
            .map_err(zx("read the liveness register"))?;
        if back != !v {
            return Err(format!(
                "liveness: wrote {v:#010x}, read {back:#010x}, expected {:#010x}",
                !v
            )
            .into());
        }
    }
    println!("zxvmo-edu: liveness check passed (the device inverts what it is given)");

    let mut expected = 1u32;
    for n in 0..=12u32 {
        if n > 0 {
            expected *= n;
        }
        let got = factorial(&regs, n)?;
        if got != expected {
            return Err(format!("edu computed {n}! = {got}, expected {expected}").into());
        }
        if n % 4 == 0 || n == 12 {
            println!("zxvmo-edu: the device computed {n}! = {got}");
        }
    }
    println!("zxvmo-edu: all 13 factorials correct; unmapping and releasing {label}");
    Ok(())
}

fn parse_u64(s: &str) -> Option<u64> {
    match s.strip_prefix("0x") {
        Some(hex) => u64::from_str_radix(hex, 16).ok(),
        None => s.parse().ok(),
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.as_slice() {
        [] => match PciDevice::find(EDU_VENDOR, EDU_DEVICE) {
            None => Err(Failure::Other(
                "no edu device (1234:11e8) in /sys/bus/pci/devices".into(),
            )),
            Some(dev) => {
                println!("zxvmo-edu: found edu at {}", dev.address);
                match (dev.bar(0), dev.enable_memory()) {
                    (Some(bar), Ok(())) => drive(bar.base, bar.size, "edu-bar0"),
                    (None, _) => Err(Failure::Other("edu has no memory BAR0".into())),
                    (_, Err(e)) => Err(Failure::Other(format!(
                        "cannot enable memory decoding: {e}"
                    ))),
                }
            }
        },
        [flag, addr] if flag == "--phys" => match parse_u64(addr) {
            Some(a) => drive(a & !(PAGE - 1), PAGE, "phys"),
            None => Err(Failure::Other(format!("not an address: {addr}"))),
        },
        _ => Err(Failure::Other("usage: zxvmo-edu [--phys ADDR]".into())),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Zx(what, refusal)) => {
            eprintln!("zxvmo-edu: refused: cannot {what}: {refusal}");
            ExitCode::from(2)
        }
        Err(Failure::Other(msg)) => {
            eprintln!("zxvmo-edu: {msg}");
            ExitCode::FAILURE
        }
    }
}
