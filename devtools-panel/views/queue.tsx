import { useEffect, useLayoutEffect, useMemo, useRef, useState } from "preact/hooks";
import { blockedLine, GLOBAL_BLOCKS, type BlockedLine } from "../blocked-text";
import { OPERATION_STATUSES, queueRows, type QueueFilter, type QueueRow, type QueueSort } from "../queue-rows";
import { useVirtualizer } from "../use-virtualizer";
import { clock, duration, plain, text, useNow, visible, type ViewProps } from "./common";
import { ErrorHistory } from "./error-history";
import { JsonTree } from "./json-tree";

const ROW_HEIGHT = 24;

/** Every pending operation in a virtualised list, with filters, sort and a detail pane. */
export function QueueView({ client, request, readOnly }: ViewProps) {
  const now = useNow();
  const [filter, setFilter] = useState<QueueFilter>({ search: "", type: "all", status: "all", sort: "oldest" });
  const [selectedSeq, setSelectedSeq] = useState<number | null>(null);
  const [lastSeen, setLastSeen] = useState<QueueRow | null>(null);
  const scroller = useRef<HTMLDivElement>(null);
  const detail = useRef<HTMLElement>(null);
  useEffect(() => detail.current?.scrollTo(0, 0), [selectedSeq]);
  const held = useMemo(
    () => new Set([...client.deadLetters.map((letter) => plain(letter["itemId"])), ...client.conflicts.map((conflict) => plain(conflict["id"]))]),
    [client.deadLetters, client.conflicts],
  );
  // Statuses and the "next" order move with time; the rest only when the queue changes.
  const timeKey = filter.status !== "all" || filter.sort === "next" ? now : 0;
  const block = blockedLine(client.status?.["blocked"], now);
  const globalBlock = block && GLOBAL_BLOCKS.has(block.reason) ? block.reason : undefined;
  const rows = useMemo(() => queueRows(client.queue.values(), filter, Date.now(), held, globalBlock), [client.queueVersion, client.queue, filter, held, timeKey, globalBlock]);
  const virtualizer = useVirtualizer({
    count: rows.length,
    getScrollElement: () => scroller.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 20,
    getItemKey: (index) => rows[index]?.seq ?? index,
  });
  // A new filter or order starts at the top, whatever was scrolled to before (and however the browser
  // anchored the scroll while ten thousand rows were replaced).
  useLayoutEffect(() => virtualizer.scrollToOffset(0), [filter]);
  const selectedIndex = selectedSeq === null ? -1 : rows.findIndex((row) => row.seq === selectedSeq);
  const selected = selectedIndex >= 0 ? rows[selectedIndex]! : selectedSeq !== null && lastSeen?.seq === selectedSeq ? lastSeen : null;
  const select = (index: number) => {
    const clamped = Math.max(0, Math.min(rows.length - 1, index));
    const row = rows[clamped];
    if (!row) return;
    setSelectedSeq(row.seq);
    setLastSeen(row);
    virtualizer.scrollToIndex(clamped, { align: "auto" });
  };
  const onKey = (event: KeyboardEvent) => {
    const page = Math.max(1, Math.floor((scroller.current?.clientHeight ?? ROW_HEIGHT) / ROW_HEIGHT) - 1);
    const moves: Record<string, number> = { ArrowDown: 1, ArrowUp: -1, PageDown: page, PageUp: -page, Home: -Infinity, End: Infinity };
    const move = moves[event.key];
    if (move === undefined) return;
    event.preventDefault();
    select(move === -Infinity ? 0 : move === Infinity ? rows.length - 1 : Math.max(0, selectedIndex) + (selectedIndex < 0 ? 0 : move));
  };
  const update = (patch: Partial<QueueFilter>) => setFilter({ ...filter, ...patch });
  const pending = Number(client.status?.["pending"] ?? client.queue.size);
  return (
    <div class="queue-view">
      <div class="bar">
        <input data-testid="queue-search" type="search" aria-label="Search the queue" placeholder="Search id, type, status, error" value={filter.search} onInput={(event) => update({ search: (event.target as HTMLInputElement).value })} />
        <label>
          type{" "}
          <select data-testid="queue-type" value={filter.type} onChange={(event) => update({ type: (event.target as HTMLSelectElement).value as QueueFilter["type"] })}>
            <option value="all">all</option>
            <option value="create">create</option>
            <option value="update">update</option>
            <option value="delete">delete</option>
          </select>
        </label>
        <label>
          status{" "}
          <select data-testid="queue-status" value={filter.status} onChange={(event) => update({ status: (event.target as HTMLSelectElement).value as QueueFilter["status"] })}>
            <option value="all">all</option>
            {OPERATION_STATUSES.map((status) => (
              <option key={status} value={status}>
                {status}
              </option>
            ))}
          </select>
        </label>
        <label>
          sort{" "}
          <select data-testid="queue-sort" value={filter.sort} onChange={(event) => update({ sort: (event.target as HTMLSelectElement).value as QueueSort })}>
            <option value="oldest">oldest first</option>
            <option value="newest">newest first</option>
            <option value="attempts">most attempts</option>
            <option value="next">next attempt</option>
            <option value="item">item id</option>
          </select>
        </label>
        <span class="muted" data-testid="queue-count">
          {rows.length.toLocaleString("en-US")} of {client.queue.size.toLocaleString("en-US")} shown
          {client.queueLoading ? ` · loading ${pending.toLocaleString("en-US")}…` : client.queue.size < pending ? ` · ${pending.toLocaleString("en-US")} pending` : ""}
        </span>
      </div>
      <div class="split">
        <div class="table" role="grid" aria-label="Pending operations" aria-rowcount={rows.length}>
          <div class="queue-grid thead" role="row">
            <span role="columnheader">seq</span>
            <span role="columnheader">type</span>
            <span role="columnheader">item</span>
            <span role="columnheader">status</span>
            <span role="columnheader" class="num">tries</span>
            <span role="columnheader">next</span>
            <span role="columnheader" class="wide">age</span>
            <span role="columnheader" class="wide">last error</span>
          </div>
          <div class="scroller" ref={scroller} tabIndex={0} data-testid="queue" onKeyDown={onKey} aria-activedescendant={selected ? `op-${selected.seq}` : undefined}>
            {rows.length === 0 && <p class="empty">{client.queue.size > 0 ? "No operation matches the filters." : emptyQueue(Number(client.status?.["deadLetters"]) || 0)}</p>}
            <div style={{ height: `${virtualizer.getTotalSize()}px`, position: "relative" }}>
              {virtualizer.getVirtualItems().map((item) => {
                const row = rows[item.index]!;
                const next = row.nextAttemptAt - now;
                return (
                  <div
                    key={item.key}
                    id={`op-${row.seq}`}
                    role="row"
                    aria-rowindex={item.index + 1}
                    aria-selected={row.seq === selectedSeq}
                    data-testid="queue-row"
                    data-seq={row.seq}
                    class={`queue-grid row${item.index % 2 ? " odd" : ""}`}
                    style={{ transform: `translateY(${item.start}px)`, height: `${ROW_HEIGHT}px` }}
                    onClick={() => (setSelectedSeq(row.seq), setLastSeen(row))}
                  >
                    <span class="num">{row.seq}</span>
                    <span class={`type-${row.type}`}>{row.type}</span>
                    <span title={visible(row.itemId)}>{visible(row.itemId)}</span>
                    <span class={`status-${row.status}`}>{row.status}</span>
                    <span class="num">{row.attempts}</span>
                    <span title={row.status === "blocked" ? block?.line : undefined}>{row.status === "held" ? "held" : row.status === "blocked" ? globalBlock?.replace("forced-", "") : next > 0 ? `in ${duration(next)}` : "now"}</span>
                    <span class="wide">{duration(now - row.createdAt)}</span>
                    <span class="wide bad" title={visible(row.lastError)}>
                      {visible(row.lastError)}
                    </span>
                  </div>
                );
              })}
            </div>
          </div>
        </div>
        <aside class="detail" ref={detail} data-testid="queue-detail" aria-label="Operation detail">
          {selected ? <OperationDetail row={selected} gone={selectedIndex < 0 && !client.queue.has(selected.seq)} request={readOnly ? undefined : request} now={now} block={globalBlock ? block! : undefined} /> : <p class="muted">Select an operation (click, or focus the list and use the arrow keys) to see its payload and error history.</p>}
        </aside>
      </div>
    </div>
  );
}

/** What an empty outbox says: everything reached the server, unless some writes were given up. */
function emptyQueue(dead: number): string {
  if (dead === 0) return "The outbox is empty: every write has reached the server.";
  return `The outbox is empty, but ${dead} write${dead === 1 ? " was" : "s were"} given up: see Dead letters.`;
}

function OperationDetail({ row, gone, request, now, block }: { row: QueueRow; gone: boolean; request: ViewProps["request"] | undefined; now: number; block: BlockedLine | undefined }) {
  const { op } = row;
  return (
    <div>
      <h3>
        {row.type} <span>{visible(row.itemId)}</span> <span class="muted">seq {row.seq}</span>
      </h3>
      {gone && <p class="warn" data-testid="detail-gone">This operation has left the queue (acknowledged, dead-lettered or merged into a resolution).</p>}
      <dl class="facts">
        <dt>opId</dt>
        <dd>{text(op["opId"])}</dd>
        <dt>created</dt>
        <dd>
          {clock(op["createdAt"])} ({duration(now - row.createdAt)} ago)
        </dd>
        <dt>attempts</dt>
        <dd>
          {row.attempts} sent, {text(op["failures"])} failed
        </dd>
        <dt>next attempt</dt>
        <dd>{block ? block.line : row.nextAttemptAt > now ? `in ${duration(row.nextAttemptAt - now)} (${clock(row.nextAttemptAt)})` : "due now"}</dd>
      </dl>
      <h4>Payload</h4>
      {op["value"] === undefined ? <p class="muted">A delete carries no payload.</p> : <JsonTree key={row.seq} value={op["value"]} request={request} open={2} />}
      <ErrorHistory errors={op["errors"]} />
    </div>
  );
}
