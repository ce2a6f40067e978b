import { test as base, type Browser, type Page } from "@playwright/test";
import type { TRole } from "../lib/auth/roles";
import { storageStateFor } from "./support/users";

type TFixtures = { pageAs: (role: TRole) => Promise<Page> };

async function pageFor(browser: Browser, role: TRole): Promise<Page> {
  const context = await browser.newContext({ storageState: storageStateFor(role) });
  return context.newPage();
}

// `pageAs("manager")` opens a page in its own context, signed in as that role's demo account.
export const test = base.extend<TFixtures>({
  pageAs: async ({ browser }, use) => {
    const pages: Page[] = [];
    await use(async (role) => {
      const page = await pageFor(browser, role);
      pages.push(page);
      return page;
    });
    for (const p of pages) await p.context().close();
  },
});
export { expect } from "@playwright/test";
