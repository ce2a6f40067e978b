import Link from "next/link";

export default function NotFound() {
  return (
    <main className="mx-auto max-w-lg px-6 py-24 text-center">
      <p className="text-sm font-semibold text-sky-700">404</p>
      <h1 className="mt-2 text-2xl font-semibold text-slate-900">Page not found</h1>
      <p className="mt-2 text-slate-600">There is nothing at this address. It may have been removed, or the link is wrong.</p>
      <Link href="/" className="mt-6 inline-block text-sm font-medium text-sky-700 hover:underline">
        Back to the console
      </Link>
    </main>
  );
}
