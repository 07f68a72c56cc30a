import * as z from "zod/mini";

/** Who made a call, as CloudTrail records it (the fields the responder reads). */
const UserIdentitySchema = z.looseObject({
  type: z.optional(z.string()),
  userName: z.optional(z.string()),
  arn: z.optional(z.string()),
  accessKeyId: z.optional(z.string()),
  sessionContext: z.optional(
    z.looseObject({ sessionIssuer: z.optional(z.looseObject({ arn: z.optional(z.string()) })) }),
  ),
});

/** The detail of an "AWS API Call via CloudTrail" event: one schema for every reader of IAM calls. */
export const CloudTrailDetailSchema = z.looseObject({
  eventName: z.string(),
  eventID: z.string().check(z.minLength(1), z.maxLength(200)),
  eventTime: z.optional(z.string()),
  awsRegion: z.optional(z.string()),
  sourceIPAddress: z.optional(z.string()),
  recipientAccountId: z.optional(z.string()),
  errorCode: z.optional(z.string()),
  userIdentity: UserIdentitySchema,
  requestParameters: z.optional(z.nullable(z.looseObject({}))),
  responseElements: z.optional(z.nullable(z.looseObject({}))),
});
