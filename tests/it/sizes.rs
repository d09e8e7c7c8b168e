//! The house rules on size, checked over `src/`: no source file over 400 lines, and no function
//! over 80 lines outside tests unless a comment on the line before it (above its attributes and
//! doc comment too) says why, starting `// Long:`. The files are the crate's modules, found from
//! `src/lib.rs` and `src/main.rs` as the compiler finds them; test code is left out: modules
//! under `#[cfg(test)]` (inline or in their own file) and `#[test]` functions. Run it alone
//! with `cargo test --test main sizes`.

use std::path::Path;

use syn::spanned::Spanned;
use syn::visit::Visit;

const MAX_FILE_LINES: usize = 400;
const MAX_FN_LINES: usize = 80;

fn is_test_attr(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().any(|a| {
        let p = a.path();
        p.is_ident("test")
            || p.segments.last().is_some_and(|s| s.ident == "test")
            || (p.is_ident("cfg")
                && a.parse_args::<syn::Meta>()
                    .is_ok_and(|m| m.path().is_ident("test")))
    })
}

/// Finds the functions over the limit in one file.
struct Long<'a> {
    lines: &'a [&'a str],
    found: Vec<(String, usize, usize)>,
    /// The modules declared in their own files, outside tests: name and `#[path]`.
    modules: Vec<(String, Option<String>)>,
}

impl Long<'_> {
    fn check(&mut self, name: String, attrs: &[syn::Attribute], whole: proc_macro2::Span) {
        if is_test_attr(attrs) {
            return;
        }
        let (start, end) = (whole.start().line, whole.end().line);
        let length = end + 1 - start;
        if length <= MAX_FN_LINES {
            return;
        }
        // The line above the first attribute or doc comment.
        let first = attrs
            .iter()
            .map(|a| a.span().start().line)
            .chain([start])
            .min()
            .unwrap_or(start);
        let reason = first >= 2 && self.lines[first - 2].trim_start().starts_with("// Long:");
        if !reason {
            self.found.push((name, start, length));
        }
    }
}

impl<'ast> Visit<'ast> for Long<'_> {
    fn visit_item_mod(&mut self, m: &'ast syn::ItemMod) {
        if is_test_attr(&m.attrs) {
            return;
        }
        if m.content.is_none() {
            let path = m.attrs.iter().find(|a| a.path().is_ident("path"));
            let path = path.and_then(|a| match &a.meta {
                syn::Meta::NameValue(nv) => match &nv.value {
                    syn::Expr::Lit(syn::ExprLit {
                        lit: syn::Lit::Str(s),
                        ..
                    }) => Some(s.value()),
                    _ => None,
                },
                _ => None,
            });
            self.modules.push((m.ident.to_string(), path));
        }
        syn::visit::visit_item_mod(self, m);
    }

    fn visit_item_fn(&mut self, f: &'ast syn::ItemFn) {
        let span = f.sig.span().join(f.block.span()).unwrap_or(f.block.span());
        let span = f.sig.fn_token.span.join(span).unwrap_or(span);
        self.check(f.sig.ident.to_string(), &f.attrs, span);
        syn::visit::visit_item_fn(self, f);
    }

    fn visit_impl_item_fn(&mut self, f: &'ast syn::ImplItemFn) {
        let span = f
            .sig
            .fn_token
            .span
            .join(f.block.span())
            .unwrap_or(f.block.span());
        self.check(f.sig.ident.to_string(), &f.attrs, span);
        syn::visit::visit_impl_item_fn(self, f);
    }

    fn visit_trait_item_fn(&mut self, f: &'ast syn::TraitItemFn) {
        if let Some(block) = &f.default {
            let span = f
                .sig
                .fn_token
                .span
                .join(block.span())
                .unwrap_or(block.span());
            self.check(f.sig.ident.to_string(), &f.attrs, span);
        }
        syn::visit::visit_trait_item_fn(self, f);
    }
}

/// Checks one module's file and then the modules it declares in files of their own.
fn check_file(root: &Path, path: &Path, problems: &mut Vec<String>) {
    let shown = path
        .strip_prefix(root)
        .unwrap_or(path)
        .display()
        .to_string();
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{shown}: {e}"));
    let lines: Vec<&str> = text.lines().collect();
    if lines.len() > MAX_FILE_LINES {
        problems.push(format!("{shown}: {} lines", lines.len()));
    }
    let file = syn::parse_file(&text).unwrap_or_else(|e| panic!("{shown}: {e}"));
    let mut long = Long {
        lines: &lines,
        found: Vec::new(),
        modules: Vec::new(),
    };
    long.visit_file(&file);
    for (name, line, length) in long.found {
        problems.push(format!("{shown}:{line}: fn {name}: {length} lines"));
    }
    let here = path.parent().unwrap_or(root);
    let owns_dir = matches!(
        path.file_name().and_then(|n| n.to_str()),
        Some("mod.rs" | "lib.rs" | "main.rs")
    );
    let dir = if owns_dir {
        here.to_owned()
    } else {
        here.join(path.file_stem().unwrap_or_default())
    };
    for (name, at) in long.modules {
        let file = match at {
            Some(p) => here.join(p),
            None if dir.join(format!("{name}.rs")).exists() => dir.join(format!("{name}.rs")),
            None => dir.join(&name).join("mod.rs"),
        };
        check_file(root, &file, problems);
    }
}

#[test]
fn no_file_over_400_lines_and_no_function_over_80() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut problems = Vec::new();
    for top in ["src/lib.rs", "src/main.rs"] {
        check_file(root, &root.join(top), &mut problems);
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
