/**
 * Type-level tests of FileSystems' rename / copy options and the failures an error lists, from the
 * package entry point. This file fails to COMPILE when that breaks; wrong uses sit in functions
 * that never run.
 */
import { strict as assert } from "node:assert";
import { FileSystemError, FileSystems, type FileMetadata, type FileOperationFailure, type FileSystemsMatchOptions, type MoveOptions } from "../../lib";
import { expectType } from "./expect_type";

describe("FileSystems (type-level)", () => {
  it("match takes an EmptyMatchTreatment; rename and copy take MoveOptions; FileSystemError lists its failures", () => {
    const typeOnly = async (): Promise<void> => {
      expectType(FileSystems.rename(["a"], ["b"], { ignoreMissingFiles: true }))<Promise<void>>(true);
      expectType(FileSystems.copy(["a"], ["b"]))<Promise<void>>(true);
      const options: MoveOptions = { ignoreMissingFiles: false };
      await FileSystems.copy(["a"], ["b"], options);
      try {
        await FileSystems.delete(["a"]);
      } catch (e) {
        if (e instanceof FileSystemError) {
          expectType(e.failures)<readonly FileOperationFailure[] | undefined>(true);
          const first = e.failures?.[0];
          if (first !== undefined) {
            expectType(first.path)<string>(true);
            expectType(first.destination)<string | undefined>(true);
            expectType(first.error)<FileSystemError>(true);
          }
        }
      }
      expectType(FileSystems.match("a*", { emptyMatchTreatment: "ALLOW_IF_WILDCARD" }))<Promise<FileMetadata[]>>(true);
      const matchOptions: FileSystemsMatchOptions = { emptyMatchTreatment: "DISALLOW" };
      await FileSystems.match("a", matchOptions);
      // @ts-expect-error: Beam's three treatments only
      await FileSystems.match("a", { emptyMatchTreatment: "SKIP" });
      // @ts-expect-error: an unknown move option
      await FileSystems.rename(["a"], ["b"], { skipIfDestinationExists: true });
      // @ts-expect-error: ignoreMissingFiles is a boolean
      await FileSystems.copy(["a"], ["b"], { ignoreMissingFiles: "yes" });
    };
    assert.equal(typeof typeOnly, "function");
  });
});
