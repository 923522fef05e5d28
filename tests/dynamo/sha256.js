// The hash the SDK's signer asks for, on Node's crypto (what the SDK's own
// Node build plugs in).
'use strict';
const crypto = require('crypto');

class Sha256 {
  constructor(secret) {
    this.hash = secret ? crypto.createHmac('sha256', secret) : crypto.createHash('sha256');
  }
  update(data) { this.hash.update(typeof data === 'string' ? Buffer.from(data, 'utf8') : Buffer.from(data)); }
  async digest() { return new Uint8Array(this.hash.digest()); }
}
module.exports = { Sha256 };
