/** @type {import('next').NextConfig} */
const nextConfig = {
  poweredByHeader: false,
  reactStrictMode: true,
  // Baton's server actions carry small JSON; anything larger is refused before the action runs.
  experimental: { serverActions: { bodySizeLimit: "64kb" } },
};
export default nextConfig;
