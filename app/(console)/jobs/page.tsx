import type { Metadata } from "next";
import { JobsClient } from "@/app/(console)/jobs/jobs-client";
import { Forbidden } from "@/components/console/forbidden";
import { PageHeader } from "@/components/console/page-header";
import { requireUser } from "@/lib/auth/current-user";
import { canSee, homeFor } from "@/lib/auth/roles";
import { listBulkJobs } from "@/lib/sessions/bulk";

export const metadata: Metadata = { title: "Jobs" };

export default async function JobsPage() {
  const user = await requireUser("/jobs");
  if (!canSee(user.role, "jobs")) return <Forbidden area="Jobs" role={user.role} home={homeFor(user.role)} />;
  return (
    <>
      <PageHeader
        title="Jobs"
        description="Your recent bulk jobs, whichever console ran them: what they did, to which sessions, and how each one went, live."
      />
      <JobsClient initialJobs={await listBulkJobs(user)} />
    </>
  );
}
