import Link from "next/link";
import { ROLE_LABEL, type TRole } from "@/lib/auth/roles";

export function Forbidden({ area, role, home }: { area: string; role: TRole; home: string }) {
  return (
    <div role="alert" className="mx-auto max-w-lg rounded-lg border border-amber-200 bg-amber-50 px-6 py-10 text-center">
      <h1 className="text-lg font-semibold text-amber-900">No access to {area}</h1>
      <p className="mt-2 text-sm text-amber-800">
        Your role ({ROLE_LABEL[role]}) does not include {area}. Ask an admin if you need it.
      </p>
      <Link href={home} className="mt-4 inline-block text-sm font-medium text-amber-900 underline">
        Go to your start page
      </Link>
    </div>
  );
}
