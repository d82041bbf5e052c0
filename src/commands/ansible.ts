import type { Command } from "commander";
import { openStack, scrubbed } from "../app/context.ts";
import { ansibleInstalled, INSTALL_ANSIBLE, runPlaybook } from "../hosts/ansible.ts";
import { hostsConnection } from "../hosts/connection.ts";

export function register(program: Command, setExit: (code: number) => void): void {
  program
    .command("ansible")
    .description(
      "run ansible-playbook with a stack's inventory, settings (tasks/ansible/ansible.cfg), pinned host keys and secrets: the one way to call Ansible",
    )
    .requiredOption("--stack <stack>", "stack name under stacks/ or path to a stack file")
    .argument(
      "[args...]",
      "ansible-playbook arguments after --; a playbook name is looked up in tasks/ansible/",
    )
    .addHelpText(
      "after",
      "\nExamples:\n  ebill-ops ansible --stack sandbox -- site.yml --check --diff\n  ebill-ops ansible --stack lingshui-test -- site.yml --limit app --tags never\n" +
        "Secrets go to a temporary 0600 extra-vars file removed after the run. Exit status: ansible-playbook's.",
    )
    .action(async (args: string[], options: { stack: string }) => {
      if (!ansibleInstalled()) throw new Error(INSTALL_ANSIBLE);
      const ctx = await openStack(options.stack);
      await scrubbed(ctx, async () => {
        const connection = hostsConnection(ctx.env);
        if (!connection.ok) throw new Error(connection.reason);
        const playbookIndex = args.findIndex((a) => /\.ya?ml$/.test(a) && !a.startsWith("-"));
        if (playbookIndex < 0)
          throw new Error("give a playbook, e.g. 'ebill-ops ansible --stack S -- site.yml --check'");
        const playbook = args[playbookIndex]!;
        const rest = args.filter((_, i) => i !== playbookIndex);
        const result = await runPlaybook(ctx.env, connection.value, {
          playbook,
          args: rest,
          stdio: "inherit",
        });
        setExit(result.code);
      });
    });
}
