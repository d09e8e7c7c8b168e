//! Target and source paths: `.` and `..` refused, repeated slashes collapsed in what is sent and
//! in the identity, so two spellings of one directory are duplicates.

use super::*;
use crate::manifest::read;

#[test]
fn repeated_slashes_name_one_directory() {
    let text = format!(
        "{HEADER}\n\
         cfs-1,S3_COS,https://b,s,/cfs/a/b,id,key,n,ap-guangzhou\n\
         cfs-1,S3_COS,https://b,s,/cfs//a/b,id,key,n,ap-guangzhou\n\
         cfs-1,S3_COS,https://b,s,/cfs/a///b/,id,key,n,ap-guangzhou\n\
         cfs-2,S3_COS,https://b,s,/cfs//a//b,id,key,n,ap-guangzhou\n"
    );
    let m = write("m.csv", text);
    let dup = "TargetPath: duplicate of line 2: same FileSystemId and TargetPath (one data flow per directory; trailing or repeated slashes do not make paths different)";
    assert_eq!(
        problems(&m),
        [format!("m.csv:3: {dup}"), format!("m.csv:4: {dup}")]
    );
}

#[test]
fn what_is_sent_is_the_collapsed_path() {
    let text = format!(
        "{HEADER}\n\
         cfs-1,S3_COS,https://b,data//x,/cfs//a///b/,id,key,n,ap-guangzhou\n"
    );
    let m = write("m.csv", text);
    let rows: Vec<_> = read(&m.path, &opts())
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(rows[0].request.target_path, "/cfs/a/b/");
    assert_eq!(rows[0].target_key(), "/cfs/a/b");
    // A source path is the bucket's business: sent as written.
    assert_eq!(rows[0].request.source_path, "data//x");
}

#[test]
fn dot_segments_are_refused_with_their_line() {
    let text = format!(
        "{HEADER}\n\
         cfs-1,S3_COS,https://b,s,/cfs/../etc,id,key,n,ap-guangzhou\n\
         cfs-1,S3_COS,https://b,s,/cfs/a/./b,id,key,n,ap-guangzhou\n\
         cfs-1,S3_COS,https://b,s,/cfs/a/..,id,key,n,ap-guangzhou\n\
         cfs-1,S3_COS,https://b,data/../../x,/cfs/c,id,key,n,ap-guangzhou\n\
         cfs-1,S3_COS,https://b,./data/.x/..y,/cfs/d/..e/.f,id,key,n,ap-guangzhou\n"
    );
    let m = write("m.csv", text);
    let why = "segment; write the directory's own path, without . or ..";
    assert_eq!(
        problems(&m),
        [
            format!(r#"m.csv:2: TargetPath: "/cfs/../etc" has a ".." {why}"#),
            format!(r#"m.csv:3: TargetPath: "/cfs/a/./b" has a "." {why}"#),
            format!(r#"m.csv:4: TargetPath: "/cfs/a/.." has a ".." {why}"#),
            r#"m.csv:5: SourcePath: "data/../../x" has a ".." segment; write the path in the bucket without it"#.to_owned(),
        ]
    );
}

#[test]
fn invisible_line_and_direction_characters_are_refused() {
    let line = json_row(1).replace("/cfs/t1", "/cfs/t1\u{202E}gpj.exe");
    let m = write("m.jsonl", format!("{line}\n{}\n", json_row(2)));
    assert_eq!(
        problems(&m),
        ["m.jsonl:1: TargetPath: contains an invisible line separator or text-direction character (U+202E)"]
    );
}
