"use client";
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useRouter, useSearchParams } from "next/navigation";
import { useEffect, useMemo, useState } from "react";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Alert, EmptyState } from "@/components/ui/card";
import { Input, Label } from "@/components/ui/input";
import { Table, TBody, TD, TH, THead, TR } from "@/components/ui/table";
import type { TCommandSearchPage } from "@/lib/data/audit/search-commands";
import { commandSearchToParams, parseCommandSearch, type TCommandSearch } from "@/lib/data/audit/schemas";
import { commandSearchQuery } from "@/lib/queries/audit";
import { utc } from "@/app/(console)/audit/_components/format";
import { KeysetPager } from "@/app/(console)/audit/_components/keyset-pager";

type TProps = { initial: { query: TCommandSearch; page: TCommandSearchPage } | null };

export function CommandsClient({ initial }: TProps) {
  const router = useRouter();
  const searchParams = useSearchParams();
  const parsed = useMemo(() => parseCommandSearch(new URLSearchParams(searchParams.toString())), [searchParams]);
  const urlQ = searchParams.get("q") ?? "";
  const [draft, setDraft] = useState(urlQ);
  useEffect(() => setDraft(urlQ), [urlQ]);
  const hrefFor = (q: Partial<TCommandSearch>) => {
    const qs = commandSearchToParams(q).toString();
    return qs ? `/audit/commands?${qs}` : "/audit/commands";
  };

  return (
    <div className="space-y-4">
      <form
        role="search"
        aria-label="Search commands"
        method="get"
        action="/audit/commands"
        className="flex flex-wrap items-end gap-3 rounded-lg border border-slate-200 bg-white p-3"
        onSubmit={(e) => {
          e.preventDefault();
          router.push(hrefFor({ q: draft.trim() || undefined, size: parsed.ok ? parsed.query.size : undefined }));
        }}
      >
        <div className="min-w-64 flex-1">
          <Label htmlFor="command-q">Command contains</Label>
          <Input id="command-q" name="q" className="mt-1 font-mono" placeholder="e.g. rm -rf, mkdir, Restart-Service" value={draft} onChange={(e) => setDraft(e.target.value)} autoComplete="off" spellCheck={false} />
        </div>
        <Button type="submit" variant="secondary">
          Search
        </Button>
      </form>
      {parsed.ok ? (
        <Results query={parsed.query} initial={initial} hrefFor={hrefFor} onSize={(size) => router.push(hrefFor({ q: parsed.query.q, size }))} />
      ) : (
        <Alert>
          {parsed.problems.map((p) => (
            <p key={p}>{p}</p>
          ))}
        </Alert>
      )}
    </div>
  );
}

function Results({ query, initial, hrefFor, onSize }: { query: TCommandSearch; initial: TProps["initial"]; hrefFor: (q: Partial<TCommandSearch>) => string; onSize: (n: number) => void }) {
  const { data, error, isPlaceholderData } = useQuery(commandSearchQuery(query, initial ?? undefined));
  const base = { q: query.q, size: query.size };
  const onNewest = !query.before && !query.after;
  if (error) return <Alert>{error.message}</Alert>;
  if (!data) return null;
  if (data.rows.length === 0) {
    return (
      <EmptyState title={query.q ? `No command contains “${query.q}”` : "No commands recorded yet"}>
        {onNewest ? null : (
          <Link href={hrefFor(base)} className="underline">
            Go to the newest commands
          </Link>
        )}
      </EmptyState>
    );
  }
  const pager = (
    <KeysetPager
      label="Command pages"
      newerHref={data.newer ? hrefFor({ ...base, after: data.newer }) : null}
      olderHref={data.older ? hrefFor({ ...base, before: data.older }) : null}
      newestHref={onNewest ? null : hrefFor(base)}
      size={query.size}
      onSize={onSize}
    />
  );
  return (
    <section aria-label="Commands" className="space-y-3">
      {pager}
      <div className={isPlaceholderData ? "opacity-60" : undefined}>
        <Table aria-label="Commands run in sessions">
          <THead>
            <tr>
              <TH>Started (UTC)</TH>
              <TH>Session</TH>
              <TH>Actor</TH>
              <TH>Command</TH>
              <TH>Exit</TH>
            </tr>
          </THead>
          <TBody>
            {data.rows.map((c) => (
              <TR key={c.id} className="align-top">
                <TD className="whitespace-nowrap font-mono text-xs">{utc(c.startedAt)}</TD>
                <TD className="text-xs">
                  <Link href={`/audit/sessions/${c.sessionId}#cmd-${c.id}`} className="font-medium text-sky-700 hover:underline">
                    {c.sessionName}
                  </Link>
                  <span className="block text-slate-500">{c.computerName}</span>
                </TD>
                <TD className="text-sm">{c.actorName ?? "—"}</TD>
                <TD className="max-w-xl">
                  <code className="break-all font-mono text-xs">
                    <Highlight text={c.command} term={query.q} />
                  </code>
                  {c.outputTruncated ? <span className="ml-2 text-xs text-amber-700">output truncated</span> : null}
                </TD>
                <TD>
                  <Badge tone={c.exitCode === null ? "neutral" : c.exitCode === 0 ? "good" : "bad"}>{c.exitCode === null ? (c.endedAt ? "ended" : "—") : c.exitCode}</Badge>
                </TD>
              </TR>
            ))}
          </TBody>
        </Table>
      </div>
      {pager}
    </section>
  );
}

function Highlight({ text, term }: { text: string; term?: string }) {
  if (!term) return <>{text}</>;
  const at = text.toLowerCase().indexOf(term.toLowerCase());
  if (at < 0) return <>{text}</>;
  return (
    <>
      {text.slice(0, at)}
      <mark className="rounded bg-amber-200 px-0.5">{text.slice(at, at + term.length)}</mark>
      {text.slice(at + term.length)}
    </>
  );
}
