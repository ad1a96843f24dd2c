import type { Page } from "@playwright/test";
import { mulberry32 } from "../../demo/server/faults";
import { appReady, closeTab, openAppTab } from "./app-tab";
import { expect, test } from "./fixtures";

/**
 * Three tabs of one app (one database), random saves and deletes over shared ids, tabs reloaded and
 * closed at random (some right after another tab wrote the same item), 20% of API requests faulted. At
 * the end the server and every tab hold the last acknowledged write of each item, no write was applied
 * twice, and nothing is dead or in conflict. Each seed is its own test; the seed is in every message.
 */
const SEEDS = (process.env["SOAK_SEEDS"] ?? "1,2,3,4").split(",").map(Number);
const STEPS = Number(process.env["SOAK_STEPS"] ?? 300);
const IDS = Array.from({ length: 12 }, (_, i) => `item${i}`);

for (const seed of SEEDS) {
  test(`soak, seed ${seed}: three tabs, reloads and closes, 20% faults: every last acknowledged write arrives once`, async ({ context, demo }) => {
    test.setTimeout(90_000);
    const random = mulberry32(seed);
    const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
    const name = `soak-${seed}`;
    const open = () => openAppTab(context, demo.url, name);
    // Each change the server applies to a record, counted as it happens.
    const applied = new Map<string, number>();
    demo.store.onWrite(({ write, changed }) => {
      if (changed) applied.set(write.id, (applied.get(write.id) ?? 0) + 1);
    });

    const tabs = [await open(), await open(), await open()];
    /** The last acknowledged write of each item: its title, or null once deleted. */
    const expected = new Map<string, string | null>();
    const counts = { saves: 0, deletes: 0, reloads: 0, closes: 0, closesAfterOtherTab: 0 };
    const save = async (page: Page, id: string, title: string) => {
      await page.evaluate(([i, t]) => window.app.save(i!, t!), [id, title]);
      expected.set(id, title);
      counts.saves++;
    };
    demo.faults.set({ rate: 0.2, kinds: ["status", "delay", "drop-before", "drop-after"], delayMs: 1000, seed });

    for (let step = 0; step < STEPS; step++) {
      const roll = random();
      const index = Math.floor(random() * tabs.length);
      const tab = tabs[index]!;
      const id = pick(IDS);
      if (roll < 0.55) {
        await save(tab, id, `s${step}`);
      } else if (roll < 0.8) {
        await tab.evaluate((i) => window.app.remove(i), id);
        expected.set(id, null);
        counts.deletes++;
      } else if (roll < 0.85) {
        await tab.reload();
        await appReady(tab);
        counts.reloads++;
      } else {
        if (random() < 0.7) {
          // The closing tab writes a few items, another tab writes them again, and the first closes at once.
          const ids = IDS.filter(() => random() < 0.3);
          for (const item of ids) await save(tab, item, `s${step} before close`);
          for (const item of ids) await save(tabs[(index + 1) % tabs.length]!, item, `s${step} from another tab`);
          counts.closesAfterOtherTab++;
        }
        await closeTab(tab);
        tabs[index] = await open();
        counts.closes++;
      }
    }

    demo.faults.set(null);
    const where = `seed ${seed} (${JSON.stringify(counts)})`;
    for (const tab of tabs) {
      await expect
        .poll(() => tab.evaluate(() => window.app.sync().then(() => window.app.status().pending)), { timeout: 30_000, message: `${where}: the queue drains` })
        .toBe(0);
    }
    const live = [...expected].filter(([, title]) => title !== null).sort(([p], [q]) => p.localeCompare(q));
    for (const id of IDS) {
      const record = (await demo.store.get("todos", id));
      const want = expected.get(id);
      expect(record && !record.deleted ? record.value?.["title"] : null, `${where}: ${id} on the server`).toBe(want ?? null);
      expect(record?.version ?? 0, `${where}: ${id}'s version is the number of changes the server applied`).toBe(applied.get(id) ?? 0);
    }
    for (const [i, tab] of tabs.entries()) {
      const state = await tab.evaluate(() => window.app.state());
      expect(state.deadLetters, `${where}: tab ${i} dead letters`).toEqual([]);
      expect(state.conflicts, `${where}: tab ${i} conflicts`).toEqual([]);
      const items = state.items.map((item) => [item.id, item.title]).sort(([p], [q]) => p!.localeCompare(q!));
      expect(items, `${where}: tab ${i} items`).toEqual(live);
    }
    console.log(`soak ${where}: ${(await demo.store.stats()).idempotency.keys} keys applied, ${(await demo.store.stats()).idempotency.replays} replays, faults ${JSON.stringify(demo.faults.injected())}`);
  });
}
