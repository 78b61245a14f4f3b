/**
 * An error the EC2 stand-in answers with, as real EC2 would: code, message
 * and HTTP status. `deliberate` marks the answers a test sets up on purpose
 * (bad or denied credentials); every other error means the stand-in could
 * not serve the request, and is recorded so tests can assert there were none.
 */
export class Ec2ApiError extends Error {
  readonly code: string;
  readonly status: number;
  readonly deliberate: boolean;

  constructor(code: string, message: string, status = 400, deliberate = false) {
    super(message);
    this.name = 'Ec2ApiError';
    this.code = code;
    this.status = status;
    this.deliberate = deliberate;
  }
}
