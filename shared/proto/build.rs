//! Compiles every contract under `proto/` with protox (no system protoc) and
//! generates messages, clients and servers in one place.

use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../proto");
    let mut files = Vec::new();
    collect(&root.join("gcc"), &mut files)?;
    files.sort();

    let fds = protox::Compiler::new([&root])?
        .include_imports(true)
        .include_source_info(false)
        .open_files(&files)?
        .file_descriptor_set();

    let out = PathBuf::from(std::env::var("OUT_DIR")?);
    std::fs::write(out.join("descriptor.bin"), prost::Message::encode_to_vec(&fds))?;

    // Type names let clients find a message's descriptor (for JSON output).
    let mut config = prost_build::Config::new();
    config.enable_type_names();
    tonic_prost_build::configure().build_client(true).build_server(true).compile_fds_with_config(fds, config)?;

    println!("cargo:rerun-if-changed={}", root.display());
    for f in &files {
        println!("cargo:rerun-if-changed={}", f.display());
    }
    Ok(())
}

fn collect(dir: &std::path::Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            collect(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "proto") {
            out.push(path);
        }
    }
    Ok(())
}
