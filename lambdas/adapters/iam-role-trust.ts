import { GetRoleCommand, type IAMClient } from "@aws-sdk/client-iam";
import type { RoleTrustReader } from "../core/investigation/close-persistence.js";
import { call, unlessGone } from "./aws-errors.js";

/** A role's trust policy through iam:GetRole (read only): the URL-encoded document, decoded. */
export class IamRoleTrustReader implements RoleTrustReader {
  constructor(private readonly client: IAMClient) {}

  async trustPolicy(roleName: string): Promise<string | undefined> {
    const out = await unlessGone(
      () => call("iam:GetRole", () => this.client.send(new GetRoleCommand({ RoleName: roleName }))),
      undefined,
    );
    const document = out?.Role?.AssumeRolePolicyDocument;
    return document === undefined ? undefined : decodeURIComponent(document);
  }
}
