# frozen_string_literal: true

require_relative "lib/cctv/version"

Gem::Specification.new do |spec|
  spec.name = "cctv"
  spec.version = Cctv::VERSION
  spec.summary = "Activity tracker: who did what to which thing, when -- in-process, on cctv's engine"
  spec.description = <<~TEXT
    Records who (the actor) did what (the table) to which thing (the target),
    when, with any attributes, and answers what happened to a target, what an
    actor did, and how often -- on an embedded store, DynamoDB or a cctv server.
    Recording queues and returns; a writer thread stores in batches, and nothing
    accepted is lost. The successor of the 2014 gem, whose example runs as written.
  TEXT
  spec.authors = ["cctv maintainers"]
  spec.files = Dir["lib/**/*.rb", "ext/cctv/*.{cc,h,rb}", "README.md"]
  spec.extensions = ["ext/cctv/extconf.rb"]
  spec.require_paths = ["lib"]
  spec.required_ruby_version = ">= 3.1" # Process._fork
  spec.requirements = ["libcctv (make install in cctv's repository)"]
end
