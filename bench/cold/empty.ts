// Cold-start baseline: the runtime starting and exiting, nothing imported.
export {};
