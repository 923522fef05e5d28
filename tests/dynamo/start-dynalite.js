// Starts an in-memory dynalite on 127.0.0.1 on a free port and prints the
// port on its first line of output. Runs until killed.
//   node start-dynalite.js
'use strict';
const dynalite = require('dynalite');

const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${server.address().port}\n`);
});
