import { fileURLToPath } from "node:url";

/** The project's root (tests run compiled, from dist/test/<suite>/). */
export const projectRoot = fileURLToPath(new URL("../../../", import.meta.url));

/** The compiled `memkind` command. */
export const cliPath = `${projectRoot}dist/src/cli/main.js`;

/** A recorded sysfs tree (test/fixtures/sysfs/<name>). */
export function fixtureRoot(name: string): string {
  return `${projectRoot}test/fixtures/sysfs/${name}`;
}
