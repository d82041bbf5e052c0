/** Ansible JSON results to plan changes: the rules that keep check mode honest and secrets out. */
import { describe, expect, it } from "vitest";
import { type AnsibleJson, interpret, type TaskResult } from "../../src/hosts/results.ts";

function run(tasks: { name: string; path: string; hosts: Record<string, TaskResult> }[]): AnsibleJson {
  return {
    plays: [
      {
        play: { name: "p" },
        tasks: tasks.map((t) => ({ task: { name: t.name, path: t.path }, hosts: t.hosts })),
      },
    ],
    stats: {},
  };
}
const ROLE = (role: string, kind = "tasks") => `/x/tasks/ansible/roles/${role}/${kind}/main.yml:3`;

describe("interpret", () => {
  it("a changed template becomes a change named by host and file, with the text before and after", () => {
    const { changes } = interpret(
      run([
        {
          name: "ebill_app : Write the application configuration",
          path: ROLE("ebill_app"),
          hosts: {
            app1: {
              action: "ansible.builtin.template",
              changed: true,
              diff: [{ before: "a=1\n", after: "a=2\n", after_header: "/tmp/x.j2" }],
              invocation: { module_args: { dest: "/opt/ebill/conf/application.properties" } },
            },
          },
        },
      ]),
    );
    expect(changes).toEqual([
      {
        kind: "host.appConfig",
        id: "app1/opt/ebill/conf/application.properties",
        action: "update",
        destructive: false,
        before: { lines: ["a=1"] },
        after: { lines: ["a=2"] },
        note: "Write the application configuration",
      },
    ]);
  });

  it("a task check mode could not run counts as a change; a conditional skip does not", () => {
    const { changes } = interpret(
      run([
        {
          name: "ebill_app : Start the service",
          path: ROLE("ebill_app"),
          hosts: {
            app1: {
              action: "ansible.builtin.command",
              skipped: true,
              msg: "Command would have run if not in check mode",
            },
            app2: {
              action: "ansible.builtin.command",
              skipped: true,
              skip_reason: "Conditional result was False",
            },
          },
        },
      ]),
    );
    expect(changes.map((c) => c.id)).toEqual(["app1/start-the-service"]);
    expect(changes[0]!.note).toMatch(/check mode cannot run this; apply will/);
  });

  it("a no_log result shows that the secret file changes, never its content", () => {
    const { changes } = interpret(
      run([
        {
          name: "ebill_app : Write the application secrets",
          path: ROLE("ebill_app"),
          hosts: { app1: { action: "ansible.builtin.template", changed: true, censored: "hidden" } },
        },
      ]),
    );
    expect(changes[0]).toMatchObject({
      kind: "host.appConfig",
      before: null,
      after: { content: "(hidden: the task handles secrets)" },
    });
  });

  it("loop items are changes of their own, and several line edits of one file merge into one change", () => {
    const { changes } = interpret(
      run([
        {
          name: "ebill_db_host : Create a tablespace directory for each declared year",
          path: ROLE("ebill_db_host"),
          hosts: {
            db1: {
              action: "ansible.builtin.file",
              changed: true,
              results: [
                {
                  changed: true,
                  path: "/ts/2026",
                  diff: {
                    before: { path: "/ts/2026", state: "absent" },
                    after: { path: "/ts/2026", state: "directory" },
                  },
                },
                { changed: false, path: "/ts/2025" },
              ],
            },
          },
        },
        {
          name: "baseline : Set password ageing in login.defs",
          path: ROLE("baseline"),
          hosts: {
            db1: {
              action: "ansible.builtin.lineinfile",
              changed: true,
              results: [
                {
                  changed: true,
                  diff: [{ before: "A 1\n", after: "A 2\n", before_header: "/etc/login.defs (content)" }],
                },
                {
                  changed: true,
                  diff: [{ before: "B 1\n", after: "B 2\n", before_header: "/etc/login.defs (content)" }],
                },
              ],
            },
          },
        },
      ]),
    );
    expect(changes.map((c) => [c.kind, c.id, c.action])).toEqual([
      ["host.tablespaceDir", "db1/ts/2026", "create"],
      ["host.baseline", "db1/etc/login.defs", "update"],
    ]);
    expect(changes[0]!.after).toEqual({ state: "directory" });
  });

  it("failures stop the plan; a failed probe is only a warning", () => {
    const result = interpret(
      run([
        {
          name: "signature_probe : Check the signature server is reachable",
          path: ROLE("signature_probe"),
          hosts: { app1: { failed: true, msg: "Timeout" } },
        },
        {
          name: "baseline : Harden the SSH daemon",
          path: ROLE("baseline"),
          hosts: { db1: { unreachable: true, msg: "no route" } },
        },
      ]),
    );
    expect(result.warnings).toEqual(["app1: 'Check the signature server is reachable' failed: Timeout"]);
    expect(result.failures).toEqual(["db1: unreachable: no route"]);
    expect(result.changes).toEqual([]);
  });

  it("a handler that would run is a change that says why", () => {
    const { changes } = interpret(
      run([
        {
          name: "ebill_app : Restart the e-bill service with its start script",
          path: ROLE("ebill_app", "handlers"),
          hosts: { app1: { skipped: true, msg: "Command would have run if not in check mode" } },
        },
      ]),
    );
    expect(changes[0]).toMatchObject({
      kind: "host.app",
      id: "app1/restart-the-e-bill-service-with-its-start-script",
    });
  });
});
