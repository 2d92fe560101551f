/**
 * A FileIO program for real runners: ReadableFiles cross stages in their own coder
 * (beamline:coder:readable_file:v1, opaque to the runner), and ReadAllFromText's ranges pass a
 * Reshuffle. `fileioProgram` writes `--output/lines` and `--output/files`; FILEIO_EXPECTED is what
 * they hold for the folder `writeFileioInput` makes.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as zlib from "node:zlib";
import { Create, definePipeline, FileIO, type KV, ParDo, ReadAllFromText, type ReadableFile } from "../../lib";
import { WriteToText } from "../../lib/io/textio";

/** Writes the program's input folder: two text files, a gzip file and one that matches no pattern. */
export function writeFileioInput(dir: string): void {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, "a.txt"), "alpha\nbeta\n");
  fs.writeFileSync(path.join(dir, "b.txt"), "gamma\r\n");
  fs.writeFileSync(path.join(dir, "c.log.gz"), zlib.gzipSync("delta\nepsilon"));
  fs.writeFileSync(path.join(dir, "skip.md"), "not read\n");
}

export const FILEIO_EXPECTED = {
  lines: ["a.txt:alpha", "a.txt:beta", "b.txt:gamma", "c.log.gz:delta", "c.log.gz:epsilon"],
  files: ['a.txt true "alpha\\nbeta\\n"', 'b.txt true "gamma\\r\\n"', 'c.log.gz true "delta\\nepsilon"'],
};

export const fileioProgram = definePipeline({
  name: "portable-test-fileio",
  description: "ReadAllFromText over patterns, FileIO.match → readMatches → whole files",
  flags: { input: { type: "string", describe: "Input folder", required: true }, output: { type: "string", describe: "Output folder", required: true } },
  build(root, flags) {
    root
      .apply("Patterns", Create.of(`${flags.input}/*.txt`, `${flags.input}/*.gz`, `${flags.input}/*.none`))
      .apply("ReadAll", ReadAllFromText.withFilename({ desiredBundleSizeBytes: 4 }))
      .map("FormatLine", (l: KV<string, string>) => `${path.basename(l.key)}:${l.value}`)
      .apply("WriteLines", WriteToText.to(`${flags.output}/lines`, { numShards: 1 }));
    root
      .apply("Match", FileIO.match(`${flags.input}/*.[tg]*`))
      .apply("ReadMatches", FileIO.readMatches())
      .apply("ReadWhole", ParDo.into<string>().of(async (f: ReadableFile, ctx) => ctx.output(`${path.basename(f.metadata.path)} ${f.metadata.sizeBytes === fs.statSync(f.metadata.path).size} ${JSON.stringify(await f.readUtf8())}`)))
      .apply("WriteFiles", WriteToText.to(`${flags.output}/files`, { numShards: 1 }));
  },
});
