export * from "./errors";
export * from "./sessions";
export * from "./configurations";
export * from "./stream";
export * from "./frames";
export * from "./http";
export * from "./availability";
export * from "./idle-timeout";
