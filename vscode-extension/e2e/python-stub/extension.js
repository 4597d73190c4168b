// Records what venvkeeper publishes through the Python extension's API (environments.updateActiveEnvironmentPath).
const fs = require('node:fs');

exports.activate = function activate() {
  const log = process.env.E2E_PYTHON_STUB_LOG;
  return {
    environments: {
      async updateActiveEnvironmentPath(environment, resource) {
        const target = typeof environment === 'string' ? environment : environment.path;
        if (log) fs.appendFileSync(log, JSON.stringify({ path: target, resource: resource?.uri?.fsPath ?? resource?.fsPath ?? null }) + '\n');
      },
    },
  };
};
exports.deactivate = function deactivate() {};
