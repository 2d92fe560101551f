import { strict as assert } from "node:assert";
import { FileSystemError } from "../../../lib/io/filesystems/filesystem";
import { compileGlob, escapeGlob, globToRegExp, hasGlobChars, unescapeGlob } from "../../../lib/io/filesystems/glob";

function matches(pattern: string, path: string): boolean {
  return globToRegExp(pattern).test(path);
}

describe("glob", () => {
  it("* and ? stay within one segment", () => {
    assert.ok(matches("a/*.txt", "a/x.txt"));
    assert.ok(matches("a/*.txt", "a/.txt"));
    assert.ok(!matches("a/*.txt", "a/b/x.txt"));
    assert.ok(matches("a/?.txt", "a/x.txt"));
    assert.ok(!matches("a/?.txt", "a/xy.txt"));
    assert.ok(!matches("a?b", "a/b"));
  });

  it("** crosses directories, and as a segment matches zero or more of them", () => {
    assert.ok(matches("a/**/b.txt", "a/b.txt"));
    assert.ok(matches("a/**/b.txt", "a/x/b.txt"));
    assert.ok(matches("a/**/b.txt", "a/x/y/b.txt"));
    assert.ok(!matches("a/**/b.txt", "a/xb.txt"));
    assert.ok(matches("**/*.txt", "top.txt"));
    assert.ok(matches("**/*.txt", "d/e/deep.txt"));
    assert.ok(matches("a/**", "a/x/y"));
    assert.ok(matches("a**z", "a/b/z"));
  });

  it("character classes, ranges and negation", () => {
    assert.ok(matches("f[abc].txt", "fb.txt"));
    assert.ok(!matches("f[abc].txt", "fd.txt"));
    assert.ok(matches("f[a-c][0-9]", "fc7"));
    assert.ok(matches("f[!a]", "fb"));
    assert.ok(!matches("f[!a]", "fa"));
    // As in Beam (fnmatch, Java's nio glob and FileSystemUtils), only ! negates: [^a] is ^ or a.
    assert.ok(!matches("f[^a]", "fb"));
    assert.ok(matches("f[^a]", "f^"));
    assert.ok(matches("f[^a]", "fa"));
    assert.ok(!matches("f[!a]", "f/"));
    assert.ok(matches("f[]]", "f]"));
    assert.ok(matches("f[", "f["), "an unterminated [ is literal");
  });

  it("regex characters are literal; escapes quote glob characters", () => {
    assert.ok(matches("a.(b)+$", "a.(b)+$"));
    // File and object names people have: other glob dialects' syntax (extglobs, braces, negation) is literal here.
    for (const name of ["report (1).csv", "data-{a,b}.txt", "!important.txt", "+(x)|@(y).log", "#1.txt"]) assert.ok(matches(name, name), name);
    assert.ok(matches("out/*(1).csv", "out/report (1).csv"));
    assert.ok(!matches("data-{a,b}.txt", "data-a.txt"));
    assert.ok(!matches("a.b", "axb"));
    assert.ok(matches("a\\*b", "a*b"));
    assert.ok(!matches("a\\*b", "axb"));
    const weird = "dir [1]/file*?.txt";
    assert.ok(matches(escapeGlob(weird), weird));
    assert.ok(!hasGlobChars(escapeGlob(weird)));
    assert.equal(unescapeGlob(escapeGlob(weird)), weird);
    assert.ok(hasGlobChars("a/[ab]"));
    assert.ok(!hasGlobChars("a/b.txt"));
  });

  it("rejects an invalid class with a FileSystemError", () => {
    assert.throws(() => globToRegExp("f[z-a]"), (e: unknown) => e instanceof FileSystemError && /ranges/.test(e.message));
  });

  it("splits a pattern into its literal base and segments", () => {
    const g = compileGlob("/data/in/*/x-**/*.txt");
    assert.equal(g.base, "/data/in");
    assert.deepEqual(
      g.segments.map((s) => s.glob),
      ["*", "x-**", "*.txt"],
    );
    assert.equal(g.globstarAt, 1);
    assert.equal(compileGlob("*.txt").base, "");
    assert.equal(compileGlob("/*.txt").base, "/");
    assert.equal(compileGlob("d\\*r/*.txt").base, "d*r");
  });
});
