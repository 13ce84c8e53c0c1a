//! Finding a PCI device's BARs through sysfs, to create resources for them.

use std::path::{Path, PathBuf};

/// A PCI device found in `/sys/bus/pci/devices`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PciDevice {
    /// The device's sysfs directory.
    pub path: PathBuf,
    /// Its address, such as `0000:00:04.0`.
    pub address: String,
}

/// A memory BAR: its physical base and size in bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Bar {
    /// Physical address of the BAR.
    pub base: u64,
    /// Size in bytes.
    pub size: u64,
}

/// `IORESOURCE_MEM` in a sysfs `resource` line's flags.
const IORESOURCE_MEM: u64 = 0x200;

fn read_hex(path: &Path) -> Option<u64> {
    let s = std::fs::read_to_string(path).ok()?;
    u64::from_str_radix(s.trim().trim_start_matches("0x"), 16).ok()
}

impl PciDevice {
    /// Every device with this vendor and device id, in address order.
    pub fn find_all(vendor: u16, device: u16) -> Vec<PciDevice> {
        Self::find_in(Path::new("/sys/bus/pci/devices"), vendor, device)
    }

    /// The first device with this vendor and device id.
    pub fn find(vendor: u16, device: u16) -> Option<PciDevice> {
        Self::find_all(vendor, device).into_iter().next()
    }

    fn find_in(root: &Path, vendor: u16, device: u16) -> Vec<PciDevice> {
        let mut found: Vec<PciDevice> = std::fs::read_dir(root)
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path())
            .filter(|p| {
                read_hex(&p.join("vendor")) == Some(vendor.into())
                    && read_hex(&p.join("device")) == Some(device.into())
            })
            .map(|path| PciDevice {
                address: path
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default(),
                path,
            })
            .collect();
        found.sort_by(|a, b| a.address.cmp(&b.address));
        found
    }

    /// Memory BAR `index` (0–5), or `None` when it is absent or I/O space.
    pub fn bar(&self, index: usize) -> Option<Bar> {
        let text = std::fs::read_to_string(self.path.join("resource")).ok()?;
        let line = text.lines().nth(index)?;
        let mut fields = line
            .split_whitespace()
            .map(|f| u64::from_str_radix(f.trim_start_matches("0x"), 16).ok());
        let (start, end, flags) = (fields.next()??, fields.next()??, fields.next()??);
        if flags & IORESOURCE_MEM == 0 || end <= start {
            return None;
        }
        Some(Bar {
            base: start,
            size: end - start + 1,
        })
    }

    /// Turns on memory-space decoding (the command register's bit 1), which
    /// a device without a kernel driver may have off.
    ///
    /// # Errors
    ///
    /// The I/O error of reading or writing the device's `config` file.
    pub fn enable_memory(&self) -> std::io::Result<()> {
        use std::os::unix::fs::FileExt;
        let f = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(self.path.join("config"))?;
        let mut cmd = [0u8; 2];
        f.read_exact_at(&mut cmd, 4)?;
        if cmd[0] & 0x2 == 0 {
            cmd[0] |= 0x2;
            f.write_all_at(&cmd, 4)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_bars_from_a_sysfs_like_tree() {
        let dir = std::env::temp_dir().join(format!("zxvmo-pci-test-{}", std::process::id()));
        let dev = dir.join("0000:00:04.0");
        std::fs::create_dir_all(&dev).unwrap();
        std::fs::write(dev.join("vendor"), "0x1234\n").unwrap();
        std::fs::write(dev.join("device"), "0x11e8\n").unwrap();
        std::fs::write(
            dev.join("resource"),
            "0x00000000fea00000 0x00000000feafffff 0x0000000000040200\n\
             0x000000000000c000 0x000000000000c0ff 0x0000000000040101\n\
             0x0000000000000000 0x0000000000000000 0x0000000000000000\n",
        )
        .unwrap();
        let found = PciDevice::find_in(&dir, 0x1234, 0x11e8);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].address, "0000:00:04.0");
        assert_eq!(
            found[0].bar(0),
            Some(Bar {
                base: 0xfea0_0000,
                size: 0x10_0000
            })
        );
        assert_eq!(found[0].bar(1), None, "I/O BAR");
        assert_eq!(found[0].bar(2), None, "absent BAR");
        assert!(PciDevice::find_in(&dir, 0x1af4, 0x1110).is_empty());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
