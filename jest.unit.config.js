// The unit project on its own, as a jest config: mutation testing runs it for every mutant.
const { projects, testTimeout } = require('./jest.config');

const { displayName: _name, ...unit } = projects.find((project) => project.displayName === 'unit');

module.exports = { ...unit, testTimeout };
