import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { startAgent, type RunningAgent } from "../lib/agent/test/helpers";
import { expect, test } from "./fixtures";

// Registering a computer whose agent serves a self-signed certificate, pinned by its fingerprint
// (docs/deploy.md, "TLS between console and agent"): a real agent with a certificate made here.
test.describe("TLS pinning on the Computers page", () => {
  test.describe.configure({ mode: "serial" });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "baton-e2e-tls-"));
  const files = { cert: path.join(dir, "cert.pem"), key: path.join(dir, "key.pem") };
  let agent: RunningAgent;
  let fingerprint: string;

  test.beforeAll(async () => {
    execFileSync("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", files.key, "-out", files.cert, "-days", "2", "-subj", "/CN=TlsE2E"], { stdio: "pipe" });
    fingerprint = execFileSync("openssl", ["x509", "-noout", "-fingerprint", "-sha256", "-in", files.cert], { encoding: "utf8" }).trim().split("=")[1];
    agent = await startAgent({ name: "TlsE2E", tls: files });
  });

  test.afterAll(async () => {
    await agent?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test("an admin registers the agent with its fingerprint; a wrong one and an http address are refused", async ({ pageAs }, testInfo) => {
    const admin = await pageAs("admin");
    await admin.goto("/computers");
    const form = admin.locator("form").filter({ has: admin.getByRole("button", { name: "Register computer" }) });
    const fill = async (values: { address: string; tlsFingerprint: string }) => {
      await form.getByLabel("Computer name").fill("TlsE2E");
      await form.getByLabel("Agent address").fill(values.address);
      await form.getByLabel("Agent token").fill(agent.token);
      await form.getByLabel("Certificate fingerprint (optional)").fill(values.tlsFingerprint);
      await form.getByRole("button", { name: "Register computer" }).click();
    };
    const fingerprintField = form.getByLabel("Certificate fingerprint (optional)");

    await test.step("not a fingerprint: the field says why", async () => {
      await fill({ address: agent.baseUrl, tlsFingerprint: "AB:CD:EF" });
      await expect(fingerprintField).toHaveAttribute("aria-invalid", "true");
      await expect(form).toContainText("must be a SHA-256 fingerprint: 64 hexadecimal digits, not 6");
    });

    await test.step("a fingerprint with an http:// address is refused", async () => {
      await fill({ address: agent.baseUrl.replace("https:", "http:"), tlsFingerprint: fingerprint });
      await expect(form).toContainText("a fingerprint needs https");
    });

    await test.step("another certificate's fingerprint: refused naming both, nothing registered", async () => {
      const wrong = fingerprint.replace(/^../, fingerprint.startsWith("00") ? "11" : "00");
      await fill({ address: agent.baseUrl, tlsFingerprint: wrong });
      await expect(form.getByRole("alert").first()).toContainText(`presented a certificate with SHA-256 fingerprint ${fingerprint}, not ${wrong}`);
      await expect(admin.getByRole("region", { name: "TlsE2E", exact: true })).toHaveCount(0);
      await form.screenshot({ path: testInfo.outputPath("register-form-refused.png") });
    });

    await test.step("the right fingerprint, pasted without colons in lower case: registered and online", async () => {
      await fill({ address: agent.baseUrl, tlsFingerprint: fingerprint.replace(/:/g, "").toLowerCase() });
      await expect(form).toContainText("Registered TlsE2E.");
      const card = admin.getByRole("region", { name: "TlsE2E", exact: true });
      await expect(card).toContainText("online", { timeout: 20_000 });
      await expect(card).toContainText(`Certificate pinned ${fingerprint.slice(0, 11)}…${fingerprint.slice(-11)}`);
      await expect(card.getByText("Microsoft.PowerShell").first()).toBeVisible();
      await card.scrollIntoViewIfNeeded();
      await admin.screenshot({ path: testInfo.outputPath("computers-tls.png"), fullPage: true });
      await card.locator("dl").first().screenshot({ path: testInfo.outputPath("card-pinned.png") });
    });
  });
});
