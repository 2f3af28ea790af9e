/**
 * `node --test dist/test/` on Node 20 runs every .js file under a `test` directory, not only
 * *.test.js, so the bench's entry points are loaded as if they were tests. They are not: this
 * ends such a process quietly, before it starts servers or load.
 */
export function exitIfLoadedAsTest(): void {
  // The test runner sets NODE_TEST_CONTEXT in each file's process; the bench never does.
  if (process.env.NODE_TEST_CONTEXT === undefined) return;
  console.log('bench entry point, not a test: skipped (run it with npm run bench:proxy)');
  process.exit(0);
}
