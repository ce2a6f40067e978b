// Headers for every response, static files included (the per-request CSP with its nonce is set
// in proxy.ts). Evaluated at build time, so nothing here depends on the environment.
const securityHeaders = [
  { key: "X-Content-Type-Options", value: "nosniff" },
  { key: "Referrer-Policy", value: "same-origin" },
  { key: "X-Frame-Options", value: "DENY" },
  { key: "Cross-Origin-Opener-Policy", value: "same-origin" },
  { key: "Cross-Origin-Resource-Policy", value: "same-origin" },
  { key: "Permissions-Policy", value: "camera=(), microphone=(), geolocation=(), payment=(), usb=()" },
];

// Next makes its own check on server actions (Origin against Host / X-Forwarded-Host). Behind a
// reverse proxy that rewrites Host, it must also know the configured origins; lib/env.ts
// validates the variable, this only reads the hosts out of it. Read when the console starts.
const actionOrigins = (process.env.BATON_ALLOWED_ORIGINS ?? "")
  .split(",")
  .map((o) => {
    try {
      return new URL(o.trim()).host;
    } catch {
      return "";
    }
  })
  .filter(Boolean);

/** @type {import('next').NextConfig} */
const nextConfig = {
  poweredByHeader: false,
  reactStrictMode: true,
  // Baton's server actions carry small JSON; anything larger is refused before the action runs.
  // Foreign origins never reach an action: server.ts refuses them first (BATON_ALLOWED_ORIGINS).
  experimental: { serverActions: { bodySizeLimit: "64kb", ...(actionOrigins.length ? { allowedOrigins: actionOrigins } : {}) } },
  async headers() {
    return [{ source: "/:path*", headers: securityHeaders }];
  },
};
export default nextConfig;
