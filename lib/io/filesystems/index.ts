/** Filesystems: the `FileSystem` interface, the local implementation and the `FileSystems` registry. */
export * from "./filesystem";
export { escapeGlob, globToRegExp, hasGlobChars } from "./glob";
export { LocalFileSystem, toLocalPath } from "./local";
export { comparablePath, FileSystemRegistry, FileSystems, schemeOf } from "./registry";
