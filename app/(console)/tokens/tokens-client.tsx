"use client";
import { useRouter } from "next/navigation";
import { useState, useTransition } from "react";
import { revokeAccessTokenAction } from "@/app/(console)/tokens/actions";
import { CreateTokenForm } from "@/app/(console)/tokens/_components/create-token-form";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Alert, EmptyState } from "@/components/ui/card";
import { Table, TBody, TD, TH, THead, TR } from "@/components/ui/table";
import type { TAccessTokenRow } from "@/lib/auth/access-tokens";
import { ROLE_LABEL, type TRole } from "@/lib/auth/roles";

const STATUS_TONE = { active: "good", expired: "warn", revoked: "bad" } as const;
const day = (iso: string) => new Date(iso).toISOString().slice(0, 16).replace("T", " ");

export function TokensClient({ tokens, roles, userRole }: { tokens: TAccessTokenRow[]; roles: readonly TRole[]; userRole: TRole }) {
  const router = useRouter();
  const [error, setError] = useState<string | null>(null);
  const [pending, startTransition] = useTransition();

  const revoke = (t: TAccessTokenRow) =>
    startTransition(async () => {
      const result = await revokeAccessTokenAction({ tokenId: t.id });
      setError(result.ok ? null : result.error);
      router.refresh();
    });

  return (
    <div className="grid gap-6 lg:grid-cols-[1fr_22rem]">
      <section aria-label="Your access tokens">
        {error ? <Alert className="mb-3">{error}</Alert> : null}
        {tokens.length === 0 ? (
          <EmptyState title="No tokens yet">Make one to use the baton CLI or the REST API.</EmptyState>
        ) : (
          <Table>
            <THead>
              <tr>
                <TH>Name</TH>
                <TH>Role</TH>
                <TH>Expires (UTC)</TH>
                <TH>Last used (UTC)</TH>
                <TH>Status</TH>
                <TH className="sr-only">Actions</TH>
              </tr>
            </THead>
            <TBody>
              {tokens.map((t) => (
                <TR key={t.id}>
                  <TD className="font-medium">{t.name}</TD>
                  <TD>
                    <Badge tone="info">{ROLE_LABEL[t.role ?? userRole]}</Badge>
                    {t.role ? null : <span className="ml-1 text-xs text-slate-500">(yours)</span>}
                  </TD>
                  <TD className="text-slate-600 tabular-nums">{day(t.expiresAt)}</TD>
                  <TD className="text-slate-600 tabular-nums">{t.lastUsedAt ? day(t.lastUsedAt) : "never"}</TD>
                  <TD>
                    <Badge tone={STATUS_TONE[t.status]}>{t.status}</Badge>
                  </TD>
                  <TD className="text-right">
                    {t.status === "active" ? (
                      <Button variant="secondary" size="sm" disabled={pending} onClick={() => revoke(t)} aria-label={`Revoke ${t.name}`}>
                        Revoke
                      </Button>
                    ) : null}
                  </TD>
                </TR>
              ))}
            </TBody>
          </Table>
        )}
      </section>
      <CreateTokenForm roles={roles} userRole={userRole} onCreated={() => router.refresh()} />
    </div>
  );
}
