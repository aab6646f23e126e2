import itertools

from service.domain.routing import RoutingDecision, RuleView, choose_department

ROADS, PARKS, WARD_OFFICE, GENERAL_AFFAIRS = 10, 20, 30, 99


def choose(rules, category_code="road_damage", area_ids=(3,)):
    return choose_department(
        rules, category_code=category_code, area_ids=area_ids, fallback_department_id=GENERAL_AFFAIRS
    )


def test_no_matching_rule_goes_to_the_fallback_department_and_says_so():
    rules = [RuleView(id=1, priority=1, category_code="streetlight", area_id=None, department_id=ROADS)]
    assert choose(rules) == RoutingDecision(
        department_id=GENERAL_AFFAIRS, rule_id=None, reason="fallback department: no rule matched"
    )
    assert choose([]).department_id == GENERAL_AFFAIRS


def test_lower_priority_number_wins_over_a_more_specific_rule():
    rules = [
        RuleView(id=1, priority=10, category_code="road_damage", area_id=3, department_id=WARD_OFFICE),
        RuleView(id=2, priority=1, category_code=None, area_id=None, department_id=ROADS),
    ]
    assert choose(rules) == RoutingDecision(department_id=ROADS, rule_id=2, reason="rule 2: any category anywhere")


def test_equal_priority_prefers_category_and_area_then_area_then_category_then_any():
    catch_all = RuleView(id=1, priority=5, category_code=None, area_id=None, department_id=GENERAL_AFFAIRS)
    by_category = RuleView(id=2, priority=5, category_code="road_damage", area_id=None, department_id=ROADS)
    by_area = RuleView(id=3, priority=5, category_code=None, area_id=3, department_id=WARD_OFFICE)
    both = RuleView(id=4, priority=5, category_code="road_damage", area_id=3, department_id=PARKS)

    assert choose([catch_all, by_category, by_area, both]).reason == "rule 4: category road_damage in area 3"
    assert choose([catch_all, by_category, by_area]).reason == "rule 3: any category in area 3"
    assert choose([catch_all, by_category]).reason == "rule 2: category road_damage anywhere"
    assert choose([catch_all]).reason == "rule 1: any category anywhere"


def test_equal_priority_and_specificity_prefers_the_lower_rule_id():
    rules = [
        RuleView(id=8, priority=5, category_code="road_damage", area_id=None, department_id=PARKS),
        RuleView(id=7, priority=5, category_code="road_damage", area_id=None, department_id=ROADS),
    ]
    assert choose(rules).rule_id == 7


def test_rule_for_another_category_or_area_does_not_match():
    rules = [
        RuleView(id=1, priority=1, category_code="illegal_dumping", area_id=3, department_id=PARKS),
        RuleView(id=2, priority=1, category_code="road_damage", area_id=4, department_id=WARD_OFFICE),
        RuleView(id=3, priority=9, category_code="road_damage", area_id=None, department_id=ROADS),
    ]
    decision = choose(rules, area_ids=[3, 5])
    assert (decision.department_id, decision.rule_id) == (ROADS, 3)


def test_area_rule_matches_any_of_several_covering_areas():
    rules = [RuleView(id=5, priority=1, category_code=None, area_id=12, department_id=WARD_OFFICE)]
    assert choose(rules, area_ids={3, 12}).department_id == WARD_OFFICE
    assert choose(rules, area_ids=[]).department_id == GENERAL_AFFAIRS


def test_choice_does_not_depend_on_the_order_rules_are_listed_in():
    rules = [
        RuleView(id=1, priority=5, category_code=None, area_id=None, department_id=GENERAL_AFFAIRS),
        RuleView(id=2, priority=5, category_code="road_damage", area_id=None, department_id=ROADS),
        RuleView(id=3, priority=5, category_code=None, area_id=3, department_id=WARD_OFFICE),
        RuleView(id=4, priority=2, category_code="road_damage", area_id=4, department_id=PARKS),
        RuleView(id=6, priority=3, category_code=None, area_id=3, department_id=PARKS),
        RuleView(id=5, priority=3, category_code=None, area_id=3, department_id=ROADS),
    ]
    decisions = {choose(list(order)) for order in itertools.permutations(rules)}
    assert decisions == {
        RoutingDecision(department_id=ROADS, rule_id=5, reason="rule 5: any category in area 3")
    }
