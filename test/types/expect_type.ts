/**
 * The type-level tests' assertion: `expectType(value)<Expected>(true)` compiles only when the
 * value's type is exactly `Expected` (not merely assignable either way), so a type that widened to
 * `any` or narrowed by mistake fails the build.
 */
export type Equals<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;

export function expectType<T>(_value: T): <U>(check: Equals<T, U> extends true ? true : never) => void {
  return () => undefined;
}
