// Stands in for the `server-only` marker package under Vitest (outside Next's react-server build).
export {};
