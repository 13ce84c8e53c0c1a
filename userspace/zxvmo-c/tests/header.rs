//! `<zxvmo/zircon.h>` compiles as C and C++, and its info structs have the
//! layouts the library writes (sizes and every field's offset, computed by
//! Rust, asserted by the C compiler).

use core::mem::{offset_of, size_of};
use std::process::Command;
use zxvmo_zircon::{ZxInfoHandleBasic, ZxInfoResource, ZxInfoVmo};

macro_rules! layout {
    ($out:ident, $c:literal, $t:ty { $($f:ident),* }) => {{
        $out.push_str(&format!("S(sizeof({}) == {});\n", $c, size_of::<$t>()));
        $( $out.push_str(&format!("S(offsetof({}, {}) == {});\n", $c, stringify!($f), offset_of!($t, $f))); )*
    }};
}

fn compile(compiler: &str, lang: &str, src: &str) {
    let dir = std::env::temp_dir().join(format!("zxvmo-zircon-h-{}-{lang}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("check.src");
    std::fs::write(&file, src).unwrap();
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
    let out = Command::new(compiler)
        .args(["-x", lang, "-fsyntax-only", "-Wall", "-Werror"])
        .arg(format!("-I{root}/zxvmo-c/include"))
        .arg(format!("-I{root}/zxvmo-abi/include"))
        .arg(&file)
        .output()
        .unwrap();
    std::fs::remove_dir_all(&dir).ok();
    assert!(
        out.status.success(),
        "{compiler} rejected <zxvmo/zircon.h>:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn info_structs_have_the_librarys_layout_in_c_and_cpp() {
    let mut src = String::from(
        "#include <zxvmo/zircon.h>\n#ifdef __cplusplus\n#define S(x) static_assert(x, #x)\n\
         #else\n#define S(x) _Static_assert(x, #x)\n#endif\n",
    );
    layout!(
        src,
        "zx_info_handle_basic_t",
        ZxInfoHandleBasic {
            koid,
            rights,
            r#type,
            related_koid,
            props
        }
    );
    let src = src.replace("r#type", "type");
    let mut src = src;
    layout!(
        src,
        "zx_info_vmo_t",
        ZxInfoVmo {
            koid,
            name,
            size_bytes,
            parent_koid,
            num_children,
            num_mappings,
            share_count,
            flags,
            committed_bytes,
            handle_rights,
            cache_policy
        }
    );
    layout!(
        src,
        "zx_info_resource_t",
        ZxInfoResource {
            kind,
            flags,
            base,
            size,
            name
        }
    );
    src.push_str("int main(void) { return 0; }\n");
    compile("cc", "c", &src);
    compile("c++", "c++", &src.replace("(void)", "()"));
}
