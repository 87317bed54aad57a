// tests/realworld/rust_fs.rs: Rust's std on WASI against a writable mount,
// for rust-stage.sh. Prints one line per step; the script compares them
// with the expected text. Covers the calls wasi-libc programs rarely make
// the same way: fd_readdir with std's 128-byte buffer (so entries are cut
// and read again from their cookie), entries removed while the directory
// is being read (remove_dir_all), path_filestat_get, fd_filestat_set_size,
// path_rename, path_remove_directory, environ_*, poll_oneoff (sleep) and
// random_get (HashMap's keys).
//
//   rust_fs.wasm DIR     (DIR: a guest path of a writable mount)
use std::collections::HashMap;
use std::fs;
use std::io::{Read, Seek, SeekFrom, Write};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let root = &args[1];
    let mut env: Vec<(String, String)> = std::env::vars().collect();
    env.sort();
    println!("env {:?}", env);
    let d = format!("{}/sub/deeper", root);
    println!("create_dir_all {}", fs::create_dir_all(&d).is_ok());
    let f = format!("{}/a.txt", d);
    fs::write(&f, b"hello world\n").unwrap();
    let md = fs::metadata(&f).unwrap();
    println!("metadata len {} file {} dir {}", md.len(), md.is_file(), md.is_dir());
    let mut h = fs::OpenOptions::new().read(true).write(true).open(&f).unwrap();
    h.seek(SeekFrom::Start(6)).unwrap();
    h.write_all(b"WORLD").unwrap();
    h.seek(SeekFrom::Start(0)).unwrap();
    let mut s = String::new();
    h.read_to_string(&mut s).unwrap();
    println!("seek and write {:?}", s);
    let mut ap = fs::OpenOptions::new().append(true).open(&f).unwrap();
    ap.write_all(b"more\n").unwrap();
    drop(ap);
    println!("append {:?}", fs::read_to_string(&f).unwrap());
    h.set_len(5).unwrap();
    drop(h);
    println!("set_len {:?}", fs::read_to_string(&f).unwrap());
    fs::rename(&f, format!("{}/b.txt", d)).unwrap();
    let mut names: Vec<String> = fs::read_dir(&d)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    println!("rename then read_dir {:?}", names);
    for i in 0..50 {
        fs::write(format!("{}/file-with-a-long-name-{:02}", d, i), format!("{}", i)).unwrap();
    }
    println!("read_dir counts {}", fs::read_dir(&d).unwrap().count());
    // Remove every file while reading the directory.
    let mut removed = 0;
    for e in fs::read_dir(&d).unwrap() {
        let e = e.unwrap();
        if e.file_type().unwrap().is_file() {
            fs::remove_file(e.path()).unwrap();
            removed += 1;
        }
    }
    println!("removed while reading {} left {}", removed, fs::read_dir(&d).unwrap().count());
    for i in 0..40 {
        fs::write(format!("{}/again-{:02}", d, i), "x").unwrap();
    }
    fs::create_dir(format!("{}/nested", d)).unwrap();
    fs::write(format!("{}/nested/n", d), "y").unwrap();
    println!("remove_dir_all {:?}", fs::remove_dir_all(format!("{}/sub", root)).map_err(|e| e.kind()));
    println!("gone {}", fs::metadata(format!("{}/sub", root)).is_err());
    println!("open missing {:?}", fs::File::open(format!("{}/nope", root)).map_err(|e| e.kind()));
    println!("climb out {:?}", fs::File::open(format!("{}/../x", root)).map_err(|e| e.raw_os_error()));
    let t0 = std::time::Instant::now();
    std::thread::sleep(std::time::Duration::from_millis(1500));
    println!("sleep advanced the clock {}", t0.elapsed().as_millis() >= 1500);
    let mut m = HashMap::new();
    m.insert("k", 1);
    println!("hashmap {}", m.len());
    let mut input = String::new();
    std::io::stdin().read_to_string(&mut input).unwrap();
    println!("stdin {:?}", input);
    eprintln!("stderr line");
    std::process::exit(3);
}
