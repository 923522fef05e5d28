# frozen_string_literal: true

module Cctv
  # The 2014 gem was 0.1.0; this one, over cctv's engine, follows it.
  VERSION = "0.2.0"
end
