import type { Metadata } from "next";
import { TokensClient } from "@/app/(console)/tokens/tokens-client";
import { PageHeader } from "@/components/console/page-header";
import { listAccessTokens } from "@/lib/auth/access-tokens";
import { requireUser } from "@/lib/auth/current-user";
import { NARROWER_ROLES } from "@/lib/auth/roles";

export const metadata: Metadata = { title: "Access tokens" };

export default async function TokensPage() {
  const user = await requireUser("/tokens");
  const tokens = await listAccessTokens({ actor: user });
  return (
    <>
      <PageHeader
        title="Access tokens"
        description={
          <>
            Personal access tokens let the <code className="font-mono text-xs">baton</code> CLI and scripts call the REST API (<code className="font-mono text-xs">/api/v1</code>) as you. Each use is audited under your name and the token's.
          </>
        }
      />
      <TokensClient tokens={tokens} roles={NARROWER_ROLES[user.role]} userRole={user.role} />
    </>
  );
}
